-- Where and with what each web session was started, for the account's list of signed-in
-- browsers: the client's IP address and its User-Agent (both as sent at sign-in).
ALTER TABLE web_sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE web_sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
