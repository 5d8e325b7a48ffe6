//! A server's memory, read from /proc: the sum of RSS and PSS over the given processes and
//! all their descendants (a multi-process server such as Dovecot is counted whole).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use serde::Serialize;

use crate::error::{LoadError, Result};

/// Memory of a set of processes, in KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Usage {
    pub rss_kib: u64,
    pub pss_kib: u64,
    pub processes: usize,
}

/// `Rss:` and `Pss:` (KiB) of a `/proc/<pid>/smaps_rollup` text.
pub fn parse_rollup(text: &str) -> Option<(u64, u64)> {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.trim();
            rest.strip_suffix("kB")?.trim().parse::<u64>().ok()
        })
    };
    Some((field("Rss:")?, field("Pss:")?))
}

/// The parent pid in a `/proc/<pid>/stat` text. The command name may hold spaces and
/// parentheses, so fields are counted after the last `)`.
pub fn parse_ppid(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// `roots` and every process below them, given (pid, ppid) pairs.
pub fn with_descendants(roots: &[u32], parents: &[(u32, u32)]) -> BTreeSet<u32> {
    let mut children: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &(pid, ppid) in parents {
        children.entry(ppid).or_default().push(pid);
    }
    let mut found: BTreeSet<u32> = BTreeSet::new();
    let mut stack: Vec<u32> = roots.to_vec();
    while let Some(pid) = stack.pop() {
        if found.insert(pid)
            && let Some(kids) = children.get(&pid)
        {
            stack.extend(kids);
        }
    }
    found
}

fn all_parents() -> Result<Vec<(u32, u32)>> {
    let mut pairs = Vec::new();
    for entry in fs::read_dir("/proc")? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // Processes come and go while we read: a vanished one is simply skipped.
        if let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat"))
            && let Some(ppid) = parse_ppid(&stat)
        {
            pairs.push((pid, ppid));
        }
    }
    Ok(pairs)
}

/// Sums RSS and PSS over `roots` and their descendants. Fails if no root is alive.
pub fn measure(roots: &[u32]) -> Result<Usage> {
    let pids = with_descendants(roots, &all_parents()?);
    let mut usage = Usage::default();
    for pid in pids {
        let Ok(text) = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        if let Some((rss, pss)) = parse_rollup(&text) {
            usage.rss_kib += rss;
            usage.pss_kib += pss;
            usage.processes += 1;
        }
    }
    if usage.processes == 0 {
        return Err(LoadError::Usage(format!(
            "cannot read the memory of process(es) {roots:?}"
        )));
    }
    Ok(usage)
}

/// CPU time of this process's live threads so far, in ns (0 where /proc cannot tell).
pub fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLLUP: &str = "55d0c1a4e000-7ffd2b1f3000 ---p 00000000 00:00 0                  [rollup]
Rss:               12345 kB
Pss:                6789 kB
Pss_Anon:           4000 kB
Shared_Clean:       2000 kB
";

    #[test]
    fn rollup_fields_are_read_exactly() {
        assert_eq!(parse_rollup(ROLLUP), Some((12345, 6789)));
        assert_eq!(parse_rollup("Rss: 1 kB\n"), None);
        assert_eq!(parse_rollup(""), None);
    }

    #[test]
    fn ppid_is_read_after_the_command_name() {
        assert_eq!(parse_ppid("42 (imap) S 7 42 42 0 -1"), Some(7));
        assert_eq!(parse_ppid("43 (a) b (c) S 9 43 43 0"), Some(9));
        assert_eq!(parse_ppid("garbage"), None);
    }

    #[test]
    fn descendants_are_found_at_any_depth_and_only_them() {
        let parents = [(2, 1), (3, 2), (4, 3), (5, 1), (6, 99), (7, 6)];
        let got: Vec<u32> = with_descendants(&[2], &parents).into_iter().collect();
        assert_eq!(got, vec![2, 3, 4]);
        let two: Vec<u32> = with_descendants(&[2, 6], &parents).into_iter().collect();
        assert_eq!(two, vec![2, 3, 4, 6, 7]);
    }

    #[test]
    fn this_process_has_memory() {
        let usage = measure(&[std::process::id()]).unwrap();
        assert!(usage.processes >= 1);
        assert!(usage.rss_kib > 0 && usage.pss_kib > 0);
        assert!(measure(&[u32::MAX]).is_err());
    }
}
