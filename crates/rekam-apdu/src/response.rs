//! Response APDUs and status words (ISO/IEC 7816-4 §5.6), with a typed meaning for every
//! status word the personalisation path can meet ([`CardStatus`]).

use std::fmt;

/// A status word `SW1 SW2`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000`: normal processing.
    pub const OK: StatusWord = StatusWord(0x9000);

    /// From the two bytes.
    pub fn new(sw1: u8, sw2: u8) -> StatusWord {
        StatusWord(u16::from_be_bytes([sw1, sw2]))
    }

    /// SW1.
    pub fn sw1(self) -> u8 {
        self.0.to_be_bytes()[0]
    }

    /// SW2.
    pub fn sw2(self) -> u8 {
        self.0.to_be_bytes()[1]
    }

    /// True for `9000`.
    pub fn is_ok(self) -> bool {
        self == StatusWord::OK
    }

    /// What the status word means.
    pub fn status(self) -> CardStatus {
        CardStatus::from(self)
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

impl fmt::Display for StatusWord {
    /// Four upper-case hex digits, e.g. `6A84`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// The meaning of a status word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CardStatus {
    /// `9000`: normal processing.
    Ok,
    /// `61xx`: more response data; `GET RESPONSE` with Le = xx (00 = 256).
    MoreData(u8),
    /// `6282`: end of file reached before Ne bytes were read.
    EndOfFile,
    /// `6283`: the selected file is deactivated.
    FileDeactivated,
    /// `6581`: memory failure (a write did not stick).
    MemoryFailure,
    /// `6700`: wrong length.
    WrongLength,
    /// `6883`: the last command of a chain was expected.
    LastCommandOfChainExpected,
    /// `6884`: command chaining is not supported.
    ChainingNotSupported,
    /// `6982`: security status not satisfied.
    SecurityStatusNotSatisfied,
    /// `6985`: conditions of use not satisfied (e.g. a write to an operational file).
    ConditionsNotSatisfied,
    /// `6986`: command not allowed, no current EF.
    NoCurrentEf,
    /// `6A80`: incorrect parameters in the data field.
    IncorrectData,
    /// `6A81`: function not supported.
    FunctionNotSupported,
    /// `6A82`: file or application not found.
    FileNotFound,
    /// `6A84`: not enough memory space in the file or card.
    NotEnoughMemory,
    /// `6A86`: incorrect P1-P2.
    IncorrectP1P2,
    /// `6A89`: a file with this id already exists.
    FileExists,
    /// `6A8A`: a DF with this name already exists.
    DfNameExists,
    /// `6B00`: offset outside the EF.
    WrongOffset,
    /// `6Cxx`: wrong Le; the card wants xx (00 = 256).
    WrongLe(u8),
    /// `6D00`: instruction not supported.
    InsNotSupported,
    /// `6E00`: class not supported.
    ClaNotSupported,
    /// `6F00`: no precise diagnosis.
    NoDiagnosis,
    /// Any other status word.
    Other(u16),
}

impl From<StatusWord> for CardStatus {
    fn from(sw: StatusWord) -> CardStatus {
        match (sw.sw1(), sw.sw2()) {
            (0x90, 0x00) => CardStatus::Ok,
            (0x61, n) => CardStatus::MoreData(n),
            (0x62, 0x82) => CardStatus::EndOfFile,
            (0x62, 0x83) => CardStatus::FileDeactivated,
            (0x65, 0x81) => CardStatus::MemoryFailure,
            (0x67, 0x00) => CardStatus::WrongLength,
            (0x68, 0x83) => CardStatus::LastCommandOfChainExpected,
            (0x68, 0x84) => CardStatus::ChainingNotSupported,
            (0x69, 0x82) => CardStatus::SecurityStatusNotSatisfied,
            (0x69, 0x85) => CardStatus::ConditionsNotSatisfied,
            (0x69, 0x86) => CardStatus::NoCurrentEf,
            (0x6A, 0x80) => CardStatus::IncorrectData,
            (0x6A, 0x81) => CardStatus::FunctionNotSupported,
            (0x6A, 0x82) => CardStatus::FileNotFound,
            (0x6A, 0x84) => CardStatus::NotEnoughMemory,
            (0x6A, 0x86) => CardStatus::IncorrectP1P2,
            (0x6A, 0x89) => CardStatus::FileExists,
            (0x6A, 0x8A) => CardStatus::DfNameExists,
            (0x6B, 0x00) => CardStatus::WrongOffset,
            (0x6C, n) => CardStatus::WrongLe(n),
            (0x6D, 0x00) => CardStatus::InsNotSupported,
            (0x6E, 0x00) => CardStatus::ClaNotSupported,
            (0x6F, 0x00) => CardStatus::NoDiagnosis,
            _ => CardStatus::Other(sw.0),
        }
    }
}

impl CardStatus {
    /// The status word this status stands for.
    pub fn sw(self) -> StatusWord {
        StatusWord(match self {
            CardStatus::Ok => 0x9000,
            CardStatus::MoreData(n) => 0x6100 | u16::from(n),
            CardStatus::EndOfFile => 0x6282,
            CardStatus::FileDeactivated => 0x6283,
            CardStatus::MemoryFailure => 0x6581,
            CardStatus::WrongLength => 0x6700,
            CardStatus::LastCommandOfChainExpected => 0x6883,
            CardStatus::ChainingNotSupported => 0x6884,
            CardStatus::SecurityStatusNotSatisfied => 0x6982,
            CardStatus::ConditionsNotSatisfied => 0x6985,
            CardStatus::NoCurrentEf => 0x6986,
            CardStatus::IncorrectData => 0x6A80,
            CardStatus::FunctionNotSupported => 0x6A81,
            CardStatus::FileNotFound => 0x6A82,
            CardStatus::NotEnoughMemory => 0x6A84,
            CardStatus::IncorrectP1P2 => 0x6A86,
            CardStatus::FileExists => 0x6A89,
            CardStatus::DfNameExists => 0x6A8A,
            CardStatus::WrongOffset => 0x6B00,
            CardStatus::WrongLe(n) => 0x6C00 | u16::from(n),
            CardStatus::InsNotSupported => 0x6D00,
            CardStatus::ClaNotSupported => 0x6E00,
            CardStatus::NoDiagnosis => 0x6F00,
            CardStatus::Other(sw) => sw,
        })
    }

    /// A short English description, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            CardStatus::Ok => "normal processing",
            CardStatus::MoreData(_) => "more response data available",
            CardStatus::EndOfFile => "end of file reached before Le bytes",
            CardStatus::FileDeactivated => "the selected file is deactivated",
            CardStatus::MemoryFailure => "memory failure",
            CardStatus::WrongLength => "wrong length",
            CardStatus::LastCommandOfChainExpected => "last command of the chain expected",
            CardStatus::ChainingNotSupported => "command chaining not supported",
            CardStatus::SecurityStatusNotSatisfied => "security status not satisfied",
            CardStatus::ConditionsNotSatisfied => "conditions of use not satisfied",
            CardStatus::NoCurrentEf => "no current EF",
            CardStatus::IncorrectData => "incorrect data",
            CardStatus::FunctionNotSupported => "function not supported",
            CardStatus::FileNotFound => "file or application not found",
            CardStatus::NotEnoughMemory => "not enough memory",
            CardStatus::IncorrectP1P2 => "incorrect P1-P2",
            CardStatus::FileExists => "file already exists",
            CardStatus::DfNameExists => "DF name already exists",
            CardStatus::WrongOffset => "offset outside the EF",
            CardStatus::WrongLe(_) => "wrong Le",
            CardStatus::InsNotSupported => "instruction not supported",
            CardStatus::ClaNotSupported => "class not supported",
            CardStatus::NoDiagnosis => "no precise diagnosis",
            CardStatus::Other(_) => "unexpected status",
        }
    }
}

impl fmt::Display for CardStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.sw(), self.describe())
    }
}

/// A response APDU: data and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data (may be empty).
    pub data: Vec<u8>,
    /// The trailing status word.
    pub sw: StatusWord,
}

impl fmt::Debug for Response {
    /// Length and status only: response data may be personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Response(nr={}, sw={})", self.data.len(), self.sw)
    }
}

impl Response {
    /// A response with `data` and `sw`.
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Response {
        Response { data, sw }
    }

    /// A bare status word.
    pub fn status(sw: StatusWord) -> Response {
        Response::new(Vec::new(), sw)
    }

    /// Parses response bytes (data then SW1 SW2); `None` when fewer than two bytes.
    ///
    /// ```
    /// use rekam_apdu::{Response, StatusWord};
    /// let r = Response::parse(&[1, 2, 0x90, 0x00]).unwrap();
    /// assert_eq!(r.data, [1, 2]);
    /// assert_eq!(r.sw, StatusWord::OK);
    /// assert!(Response::parse(&[0x90]).is_none());
    /// ```
    pub fn parse(bytes: &[u8]) -> Option<Response> {
        let split = bytes.len().checked_sub(2)?;
        let (data, sw) = bytes.split_at(split);
        Some(Response::new(data.to_vec(), StatusWord::new(sw[0], sw[1])))
    }

    /// Encodes data then status word.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.0.to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn personalisation_status_words_are_typed() {
        let cases = [
            (0x9000, CardStatus::Ok),
            (0x6110, CardStatus::MoreData(0x10)),
            (0x6282, CardStatus::EndOfFile),
            (0x6283, CardStatus::FileDeactivated),
            (0x6700, CardStatus::WrongLength),
            (0x6982, CardStatus::SecurityStatusNotSatisfied),
            (0x6985, CardStatus::ConditionsNotSatisfied),
            (0x6986, CardStatus::NoCurrentEf),
            (0x6A80, CardStatus::IncorrectData),
            (0x6A82, CardStatus::FileNotFound),
            (0x6A84, CardStatus::NotEnoughMemory),
            (0x6A89, CardStatus::FileExists),
            (0x6B00, CardStatus::WrongOffset),
            (0x6C20, CardStatus::WrongLe(0x20)),
            (0x6D00, CardStatus::InsNotSupported),
            (0x1234, CardStatus::Other(0x1234)),
        ];
        for (sw, status) in cases {
            assert_eq!(StatusWord(sw).status(), status, "{sw:04X}");
            assert_eq!(status.sw(), StatusWord(sw));
        }
        assert_eq!(
            CardStatus::NotEnoughMemory.to_string(),
            "6A84 not enough memory"
        );
    }

    proptest! {
        #[test]
        fn every_status_word_round_trips(sw in any::<u16>()) {
            prop_assert_eq!(StatusWord(sw).status().sw(), StatusWord(sw));
        }

        #[test]
        fn responses_round_trip(data in proptest::collection::vec(any::<u8>(), 0..600), sw in any::<u16>()) {
            let r = Response::new(data, StatusWord(sw));
            prop_assert_eq!(Response::parse(&r.to_bytes()), Some(r));
        }
    }
}
