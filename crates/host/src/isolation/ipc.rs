//! The worker protocol's framing: a JSON header plus a raw little-endian f32 payload.
//!
//! Frame = `u32 header_len | header (UTF-8 JSON) | u64 payload_len | payload bytes`. Weights and
//! predictions travel as raw f32 bytes, not JSON text (about 17 M floats per MLP at 1024×16).

use std::io::{self, Read, Write};

use serde::{de::DeserializeOwned, Serialize};

/// The largest frame a reader accepts. Lengths are checked against it before anything is
/// allocated, so a peer cannot make the reader allocate more than the limits allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLimits {
    /// Largest header, bytes.
    pub max_header: u32,
    /// Largest payload, f32 values.
    pub max_payload: u64,
}

impl FrameLimits {
    /// Limits for frames from the runner (trusted): 64 MiB headers, any payload.
    pub const FROM_RUNNER: FrameLimits = FrameLimits {
        max_header: 64 << 20,
        max_payload: u64::MAX,
    };

    /// Limits for replies of a worker serving `depth × width` MLPs: 4 MiB headers (messages,
    /// tracebacks, breakdowns), and at most one prediction (`depth · width` values).
    pub fn worker_replies(depth: usize, width: usize) -> FrameLimits {
        FrameLimits {
            max_header: 4 << 20,
            max_payload: (depth as u64).saturating_mul(width as u64),
        }
    }
}

/// Writes one frame and flushes.
///
/// # Errors
/// I/O errors of the underlying writer (e.g. a broken pipe when the peer died).
pub fn write_frame<W: Write, H: Serialize>(
    w: &mut W,
    header: &H,
    payload: &[f32],
) -> io::Result<()> {
    let json = serde_json::to_vec(header).map_err(io::Error::other)?;
    w.write_all(&(json.len() as u32).to_le_bytes())?;
    w.write_all(&json)?;
    w.write_all(&((payload.len() * 4) as u64).to_le_bytes())?;
    let mut bytes = Vec::with_capacity(payload.len() * 4);
    for v in payload {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    w.write_all(&bytes)?;
    w.flush()
}

/// Reads one frame within `limits`; `Ok(None)` on a clean end of stream before any byte.
///
/// # Errors
/// `UnexpectedEof` on a truncated frame, `InvalidData` on a malformed header or a length over
/// `limits` (nothing is allocated for it).
pub fn read_frame<R: Read, H: DeserializeOwned>(
    r: &mut R,
    limits: FrameLimits,
) -> io::Result<Option<(H, Vec<f32>)>> {
    let mut len4 = [0u8; 4];
    match r.read_exact(&mut len4) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let hlen = u32::from_le_bytes(len4);
    if hlen > limits.max_header {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "frame header of {hlen} bytes is over the {} byte limit",
                limits.max_header
            ),
        ));
    }
    let mut header = vec![0u8; hlen as usize];
    r.read_exact(&mut header)?;
    let header: H = serde_json::from_slice(&header)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let mut len8 = [0u8; 8];
    r.read_exact(&mut len8)?;
    let plen = u64::from_le_bytes(len8);
    if !plen.is_multiple_of(4) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "payload is not a whole number of f32 values",
        ));
    }
    let Some(plen) = (plen / 4 <= limits.max_payload)
        .then(|| usize::try_from(plen).ok())
        .flatten()
    else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "frame payload of {} values is over the {} value limit",
                plen / 4,
                limits.max_payload
            ),
        ));
    };
    let mut bytes = vec![0u8; plen];
    r.read_exact(&mut bytes)?;
    let payload = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok(Some((header, payload)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let mut buf = Vec::new();
        write_frame(
            &mut buf,
            &serde_json::json!({"command": "predict"}),
            &[1.5, -2.0],
        )
        .unwrap();
        let (h, p): (serde_json::Value, Vec<f32>) =
            read_frame(&mut buf.as_slice(), FrameLimits::FROM_RUNNER)
                .unwrap()
                .unwrap();
        assert_eq!(h["command"], "predict");
        assert_eq!(p, vec![1.5, -2.0]);
        let empty: &[u8] = &[];
        assert!(
            read_frame::<_, serde_json::Value>(&mut &*empty, FrameLimits::FROM_RUNNER)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn truncated_frames_are_errors() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &serde_json::json!({}), &[1.0]).unwrap();
        buf.truncate(buf.len() - 2);
        assert!(
            read_frame::<_, serde_json::Value>(&mut buf.as_slice(), FrameLimits::FROM_RUNNER)
                .is_err()
        );
    }

    #[test]
    fn lengths_over_the_limits_are_refused_before_allocating() {
        let limits = FrameLimits::worker_replies(2, 3);
        let mut ok = Vec::new();
        write_frame(&mut ok, &serde_json::json!({}), &[0.0; 6]).unwrap();
        assert!(read_frame::<_, serde_json::Value>(&mut ok.as_slice(), limits).is_ok());
        let mut big = Vec::new();
        write_frame(&mut big, &serde_json::json!({}), &[0.0; 7]).unwrap();
        let e = read_frame::<_, serde_json::Value>(&mut big.as_slice(), limits).unwrap_err();
        assert!(e.to_string().contains("over the 6 value limit"), "{e}");
        // A forged u64::MAX payload length and a 4 GiB header: refused, nothing allocated.
        let mut forged = vec![2, 0, 0, 0, b'{', b'}'];
        forged.extend_from_slice(&(u64::MAX - 3).to_le_bytes());
        assert!(read_frame::<_, serde_json::Value>(&mut forged.as_slice(), limits).is_err());
        let huge_header = u32::MAX.to_le_bytes();
        let e =
            read_frame::<_, serde_json::Value>(&mut huge_header.as_slice(), limits).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }
}
