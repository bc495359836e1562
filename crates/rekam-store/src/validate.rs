//! Guards on the plaintext columns: stream ids, kinds, statuses, counter names and audit fields.
//!
//! These columns are not encrypted, so they must never carry personal data. The guards cannot
//! prove that, but they refuse the likely accidents: control characters, oversized text, and a
//! run of exactly 16 digits (the shape of a NIK). Errors never echo the refused value.

use crate::error::StoreError;

/// Identifiers: stream ids, stream and event kinds, statuses, actions, counter names.
pub(crate) fn ident(field: &'static str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.is_empty() {
        return Err(invalid(field, "is empty"));
    }
    if value.len() > max {
        return Err(invalid(field, "is too long"));
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
    {
        return Err(invalid(
            field,
            "may only contain ASCII letters, digits and _ - . :",
        ));
    }
    no_nik(field, value)
}

/// Free text that is stored in plaintext (audit subject and detail, actor id, media type).
pub(crate) fn text(
    field: &'static str,
    value: &str,
    max: usize,
    allow_empty: bool,
) -> Result<(), StoreError> {
    if value.is_empty() && !allow_empty {
        return Err(invalid(field, "is empty"));
    }
    if value.len() > max {
        return Err(invalid(field, "is too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "contains control characters"));
    }
    no_nik(field, value)
}

/// Refuses a run of exactly 16 ASCII digits, the shape of a NIK.
fn no_nik(field: &'static str, value: &str) -> Result<(), StoreError> {
    let mut run = 0usize;
    for b in value.bytes().chain(std::iter::once(b' ')) {
        if b.is_ascii_digit() {
            run += 1;
        } else {
            if run == 16 {
                return Err(invalid(
                    field,
                    "contains 16 consecutive digits (looks like a NIK; plaintext columns must not carry personal data)",
                ));
            }
            run = 0;
        }
    }
    Ok(())
}

pub(crate) fn invalid(field: &'static str, reason: &'static str) -> StoreError {
    StoreError::InvalidInput { field, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(ident("stream", "ses_01HZX9", 128).is_ok());
        assert!(ident("stream", "", 128).is_err());
        assert!(ident("stream", "ses 1", 128).is_err());
        assert!(ident("stream", "ses_é", 128).is_err());
        assert!(ident("stream", &"a".repeat(129), 128).is_err());
        assert!(ident("stream", "ses_3507123456789001", 128).is_err());
        // 15 and 17+ digit runs are not a NIK's shape.
        assert!(ident("stream", "ses_350712345678900", 128).is_ok());
        assert!(ident("stream", "ses_35071234567890011", 128).is_ok());
    }

    #[test]
    fn text_refuses_niks_and_controls_without_echoing() {
        let err = text("detail", "nik 3507123456789001 seen", 1024, false).unwrap_err();
        assert!(!err.to_string().contains("3507"));
        assert!(text("detail", "line\nbreak", 1024, false).is_err());
        assert!(text("detail", "", 1024, true).is_ok());
        assert!(text("detail", "", 1024, false).is_err());
        assert!(text("detail", "finger 7 exception: bandaged", 1024, false).is_ok());
        assert!(text("detail", "at 1700000000000000000", 1024, false).is_ok());
    }
}
