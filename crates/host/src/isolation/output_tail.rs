//! The tail of a worker's captured stdout and stderr, for error reports.
//!
//! A reader thread keeps the last [`TAIL_LINES`] lines, each cut to [`MAX_LINE_BYTES`] (a line
//! without a newline cannot grow without bound), so the memory a worker's output costs the
//! runner is capped at about `TAIL_LINES × MAX_LINE_BYTES` whatever the worker writes.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Lines kept.
pub const TAIL_LINES: usize = 200;
/// Bytes kept of one line (the rest is counted and dropped).
pub const MAX_LINE_BYTES: usize = 4096;

/// The captured output of one worker.
pub struct OutputTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    /// Disconnects when the reader has seen end of file.
    done: Receiver<()>,
}

impl OutputTail {
    /// Starts a thread reading `output` to its end.
    pub fn start(output: impl Read + Send + 'static) -> OutputTail {
        let lines = Arc::new(Mutex::new(VecDeque::new()));
        let tail = Arc::clone(&lines);
        let (done_tx, done) = mpsc::channel::<()>();
        std::thread::spawn(move || {
            // Dropped when this thread ends, which disconnects `done`.
            let _done = done_tx;
            read_lines(output, |line| {
                if let Ok(mut t) = tail.lock() {
                    if t.len() == TAIL_LINES {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            });
        });
        OutputTail { lines, done }
    }

    /// Waits up to `deadline` for the reader to reach end of file (a process the worker left
    /// behind may hold the pipe open: never longer).
    pub fn wait_drained(&self, deadline: Duration) {
        let _ = self.done.recv_timeout(deadline);
    }

    /// The lines kept so far, joined by newlines.
    pub fn text(&self) -> String {
        self.lines
            .lock()
            .map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }
}

/// Calls `emit` for every line of `input` (cut to [`MAX_LINE_BYTES`], lossy UTF-8), the last
/// one too when it has no newline.
fn read_lines(mut input: impl Read, mut emit: impl FnMut(String)) {
    let mut line: Vec<u8> = Vec::with_capacity(256);
    let mut cut: u64 = 0;
    let mut buf = [0u8; 8192];
    let mut finish = |line: &mut Vec<u8>, cut: &mut u64| {
        let mut text = String::from_utf8_lossy(line).into_owned();
        if *cut > 0 {
            text.push_str(&format!(" … ({cut} more bytes cut)"));
        }
        emit(text);
        line.clear();
        *cut = 0;
    };
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        for piece in buf[..n].split_inclusive(|&b| b == b'\n') {
            let (body, ends) = match piece.split_last() {
                Some((b'\n', body)) => (body, true),
                _ => (piece, false),
            };
            let room = MAX_LINE_BYTES - line.len();
            line.extend_from_slice(&body[..body.len().min(room)]);
            cut += body.len().saturating_sub(room) as u64;
            if ends {
                finish(&mut line, &mut cut);
            }
        }
    }
    if !line.is_empty() || cut > 0 {
        finish(&mut line, &mut cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        read_lines(input, |l| out.push(l));
        out
    }

    #[test]
    fn lines_are_split_and_the_last_one_kept_without_a_newline() {
        assert_eq!(lines(b"a\nbc\n\nd"), vec!["a", "bc", "", "d"]);
    }

    #[test]
    fn an_endless_line_is_cut_and_counted() {
        let long = vec![b'x'; 3 * MAX_LINE_BYTES + 5];
        let got = lines(&long);
        assert_eq!(got.len(), 1);
        assert!(got[0].starts_with(&"x".repeat(MAX_LINE_BYTES)));
        assert!(got[0].ends_with(&format!("({} more bytes cut)", 2 * MAX_LINE_BYTES + 5)));
    }

    #[test]
    fn only_the_tail_is_kept() {
        let text: String = (0..TAIL_LINES + 50).map(|i| format!("{i}\n")).collect();
        let tail = OutputTail::start(std::io::Cursor::new(text.into_bytes()));
        tail.wait_drained(Duration::from_secs(60));
        let kept = tail.text();
        assert_eq!(kept.lines().count(), TAIL_LINES);
        assert!(kept.starts_with("50\n") && kept.ends_with(&format!("{}", TAIL_LINES + 49)));
    }
}
