#!/usr/bin/env bash
# Re-takes the screenshots in docs/screenshots: runs the browser tests that take them with
# POSTERN_SCREENSHOTS naming that folder. Other test runs put their screenshots in a
# temporary folder and leave the checkout as it was.
set -euo pipefail
cd "$(dirname "$0")/.."

# Without Chromium the tests would be skipped and nothing re-taken: fail instead.
export CI=true
export POSTERN_SCREENSHOTS="$PWD/docs/screenshots"
cargo test --locked --test it -- --exact \
  web::browser::seed::the_article_step_by_step \
  web::browser::automatic::the_automatic_tab_makes_a_profile_for_a_phone \
  web::browser::webmail::read_download_mark_delete_and_send_in_the_browser \
  web::browser::linked::a_device_password_lends_an_address_until_the_device_is_disconnected
git status --short -- docs/screenshots
