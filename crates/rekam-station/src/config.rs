//! The workflow configuration: quality thresholds, retry budgets, the documents each
//! application type requires, eligibility, the office's time standards and the issuance
//! policy. It is the `[workflow]` part of `rekamd.toml`.
//!
//! Every field has a default taken from the seed documents (the published service standards)
//! and from the MOSIP registration defaults; unknown keys are refused, so a typo does not
//! silently fall back to a default. [`WorkflowConfig::validate`] checks the values and names
//! the offending key by its dotted path (`thresholds.face`).
//!
//! The field documentation below is the configuration reference of the README.
//!
//! ```
//! use rekam_station::config::WorkflowConfig;
//! let config: WorkflowConfig = serde_json::from_str(r#"{"thresholds": {"face": 60}}"#).unwrap();
//! assert_eq!(config.thresholds.face, 60);
//! assert_eq!(config.thresholds.slap, 40); // default
//! config.validate().unwrap();
//! ```

use serde::{Deserialize, Serialize};

use crate::enrolment::{ApplicationType, Modality};
use crate::issuance::{DeferralReason, ReceiptKind};

/// A configuration value that is out of range; `key` is its dotted path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    /// The dotted path of the key, e.g. `thresholds.face` or `documents.BARU`.
    pub key: String,
    /// What is wrong with its value.
    pub message: String,
}

fn err(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        message: message.into(),
    }
}

/// The workflow configuration (`[workflow]` in `rekamd.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowConfig {
    /// Quality thresholds per modality, 0..100: an attempt passes when its score is at least
    /// the threshold.
    pub thresholds: Thresholds,
    /// Attempts allowed per capture target, per modality (1..10). When the budget is used up
    /// the best attempt is kept even below the threshold.
    pub retry_budget: RetryBudget,
    /// The document codes each application type requires at the counter. Offices differ
    /// (Candipuro, Sajingan Besar): set them per office.
    pub documents: Documents,
    /// The document code an applicant under `eligibility_age` who is or was married must
    /// present (the marriage book or certificate). Default `MARRIAGE_CERTIFICATE`.
    pub married_minor_document: String,
    /// The age in completed years from which anyone may apply; younger applicants must be or
    /// have been married. Default 17.
    pub eligibility_age: u8,
    /// The office's time standards per step, in seconds.
    pub time_standards: TimeStandards,
    /// Issuance: spoiled-card limit, activation attempts, receipts, encoder arrangement.
    pub issuance: IssuanceConfig,
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        WorkflowConfig {
            thresholds: Thresholds::default(),
            retry_budget: RetryBudget::default(),
            documents: Documents::default(),
            married_minor_document: "MARRIAGE_CERTIFICATE".to_owned(),
            eligibility_age: 17,
            time_standards: TimeStandards::default(),
            issuance: IssuanceConfig::default(),
        }
    }
}

/// Quality thresholds, 0..100 (BioAPI bands: 0-25 unacceptable, 26-50 marginal, 51-75
/// adequate, 76-100 excellent). A score at or above the threshold passes. A slap's score is
/// the mean of its fingers' scores (as MOSIP does); each finger is still reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Face portrait (ISO/IEC 29794-5 score). Default 50.
    pub face: u8,
    /// Four-finger slaps, left and right (mean of the NFIQ 2 scores). Default 40.
    pub slap: u8,
    /// Both thumbs (mean of the two NFIQ 2 scores). Default 40.
    pub thumbs: u8,
    /// Each iris (ISO/IEC 29794-6 score); both eyes must pass. Default 60.
    pub iris: u8,
    /// Signature (completeness score). Default 30.
    pub signature: u8,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            face: 50,
            slap: 40,
            thumbs: 40,
            iris: 60,
            signature: 30,
        }
    }
}

impl Thresholds {
    /// The threshold of a modality.
    pub fn get(&self, modality: Modality) -> u8 {
        match modality {
            Modality::Face => self.face,
            Modality::Slap => self.slap,
            Modality::Thumbs => self.thumbs,
            Modality::Iris => self.iris,
            Modality::Signature => self.signature,
        }
    }
}

/// Attempts per capture target, per modality, 1..10 (counted over every capture call of a
/// session; the left and the right slap each have `slap` attempts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryBudget {
    /// Face attempts. Default 3.
    pub face: u32,
    /// Attempts per four-finger slap. Default 3.
    pub slap: u32,
    /// Thumb attempts. Default 3.
    pub thumbs: u32,
    /// Iris attempts. Default 3.
    pub iris: u32,
    /// Signature attempts. Default 3.
    pub signature: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            face: 3,
            slap: 3,
            thumbs: 3,
            iris: 3,
            signature: 3,
        }
    }
}

impl RetryBudget {
    /// The budget of a modality.
    pub fn get(&self, modality: Modality) -> u32 {
        match modality {
            Modality::Face => self.face,
            Modality::Slap => self.slap,
            Modality::Thumbs => self.thumbs,
            Modality::Iris => self.iris,
            Modality::Signature => self.signature,
        }
    }
}

/// Required document codes per application type. Codes are upper-case ASCII letters, digits
/// and `_`, at most 64 bytes; each list has at least one code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Documents {
    /// BARU (first card). Default `["KK_COPY"]`.
    #[serde(rename = "BARU")]
    pub baru: Vec<String>,
    /// RUSAK (damaged card). Default `["KK_COPY", "DAMAGED_CARD"]`.
    #[serde(rename = "RUSAK")]
    pub rusak: Vec<String>,
    /// HILANG (lost card). Default `["KK_COPY", "POLICE_LOSS_REPORT"]`.
    #[serde(rename = "HILANG")]
    pub hilang: Vec<String>,
    /// PERUBAHAN (change of data, moving in). Default `["KK_COPY", "OLD_CARD"]`.
    #[serde(rename = "PERUBAHAN")]
    pub perubahan: Vec<String>,
}

impl Default for Documents {
    fn default() -> Self {
        let v = |codes: &[&str]| codes.iter().map(|c| (*c).to_owned()).collect();
        Documents {
            baru: v(&["KK_COPY"]),
            rusak: v(&["KK_COPY", "DAMAGED_CARD"]),
            hilang: v(&["KK_COPY", "POLICE_LOSS_REPORT"]),
            perubahan: v(&["KK_COPY", "OLD_CARD"]),
        }
    }
}

impl Documents {
    /// The codes required for an application type.
    pub fn required(&self, application_type: ApplicationType) -> &[String] {
        match application_type {
            ApplicationType::Baru => &self.baru,
            ApplicationType::Rusak => &self.rusak,
            ApplicationType::Hilang => &self.hilang,
            ApplicationType::Perubahan => &self.perubahan,
        }
    }
}

/// The office's time standards (standar waktu), in seconds, 1..86400. Step timings in session
/// and job views are compared with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeStandards {
    /// Checking the documents at the counter (pemeriksaan kelengkapan). Default 180. The
    /// station does not see this step; it is reported for metrics by the facade when the
    /// client gives the counter time.
    pub document_check: u64,
    /// The whole biometric recording (perekaman), from opening the session to finalizing it.
    /// Default 300.
    pub recording: u64,
    /// Encoding and printing a card (pencetakan), from the start of a job run to the eject of
    /// a good card. Default 600.
    pub printing: u64,
    /// Activation (aktivasi), from the eject to the activated chip. Default 120.
    pub activation: u64,
    /// Handover (penyerahan), from the activated card to the signed receipt. Default 120.
    pub handover: u64,
    /// Optional standards per capture target (first attempt to completion). Unset: none.
    pub capture: CaptureStandards,
}

impl Default for TimeStandards {
    fn default() -> Self {
        TimeStandards {
            document_check: 180,
            recording: 300,
            printing: 600,
            activation: 120,
            handover: 120,
            capture: CaptureStandards::default(),
        }
    }
}

/// Optional time standards per capture target, in seconds. Unset (the default): the timing is
/// reported without a standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptureStandards {
    /// The face portrait.
    pub face: Option<u64>,
    /// The left four-finger slap.
    pub left_slap: Option<u64>,
    /// The right four-finger slap.
    pub right_slap: Option<u64>,
    /// Both thumbs.
    pub thumbs: Option<u64>,
    /// Both irises.
    pub irises: Option<u64>,
    /// The signature.
    pub signature: Option<u64>,
}

/// Where the chip encoder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrangement {
    /// Inside the card printer: the printer moves the card to it (`inline`, the default).
    #[default]
    Inline,
    /// A separate desk encoder: the operator places the blank on it, then loads the encoded
    /// card into the printer (`desk_encoder`).
    DeskEncoder,
}

/// Issuance policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IssuanceConfig {
    /// Blanks a job may use in one run (1..10): after a failure past the feed the card is
    /// rejected and a new blank fed while fewer than this many were used; then the job is
    /// deferred with `CHIP_FAULTS`. Default 3.
    pub max_cards_per_job: u32,
    /// Live-finger attempts to activate a card (1..10). Default 4.
    pub activation_attempts: u32,
    /// Which receipt is printed when a job is deferred.
    pub receipt_policy: ReceiptPolicy,
    /// Where the chip encoder is: `inline` (default) or `desk_encoder`.
    pub arrangement: Arrangement,
    /// The paper receipts are printed on: `a6` (default) or `a5`.
    pub receipt_paper: ReceiptPaper,
}

/// The paper of the pickup receipt and the surat keterangan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptPaper {
    /// A6, 105 x 148 mm (a receipt printer's usual roll or sheet).
    #[default]
    A6,
    /// A5, 148 x 210 mm.
    A5,
}

impl ReceiptPaper {
    /// The IPP media name of the paper (PWG 5101.1).
    pub fn media(self) -> &'static str {
        match self {
            ReceiptPaper::A6 => "iso_a6_105x148mm",
            ReceiptPaper::A5 => "iso_a5_148x210mm",
        }
    }
}

impl Default for IssuanceConfig {
    fn default() -> Self {
        IssuanceConfig {
            max_cards_per_job: 3,
            activation_attempts: 4,
            receipt_policy: ReceiptPolicy::default(),
            arrangement: Arrangement::Inline,
            receipt_paper: ReceiptPaper::A6,
        }
    }
}

/// Which receipt a deferred job prints: the first rule that matches the deferral reason and
/// the application type, else `default`.
///
/// The default follows Candipuro: when blanks are out, a RUSAK, HILANG or PERUBAHAN applicant
/// gets a surat keterangan (it stands in for the card); everyone else gets a tanda
/// pengambilan (pickup receipt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiptPolicy {
    /// The receipt when no rule matches. Default `TANDA_PENGAMBILAN`.
    pub default: ReceiptKind,
    /// Rules, tried in order.
    pub rules: Vec<ReceiptRule>,
}

impl Default for ReceiptPolicy {
    fn default() -> Self {
        ReceiptPolicy {
            default: ReceiptKind::TandaPengambilan,
            rules: vec![ReceiptRule {
                reasons: vec![DeferralReason::OutOfBlanks],
                application_types: vec![
                    ApplicationType::Rusak,
                    ApplicationType::Hilang,
                    ApplicationType::Perubahan,
                ],
                receipt: ReceiptKind::SuratKeterangan,
            }],
        }
    }
}

impl ReceiptPolicy {
    /// The receipt for a deferral.
    pub fn receipt_for(
        &self,
        reason: DeferralReason,
        application_type: ApplicationType,
    ) -> ReceiptKind {
        self.rules
            .iter()
            .find(|r| {
                (r.reasons.is_empty() || r.reasons.contains(&reason))
                    && (r.application_types.is_empty()
                        || r.application_types.contains(&application_type))
            })
            .map_or(self.default, |r| r.receipt)
    }
}

/// One receipt rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptRule {
    /// The deferral reasons it applies to (`NOT_PRINT_READY`, `OUT_OF_BLANKS`, `RIBBON_OUT`,
    /// `PRINTER_JAM`, `PRINTER_OFFLINE`, `CHIP_FAULTS`); empty: every reason.
    #[serde(default)]
    pub reasons: Vec<DeferralReason>,
    /// The application types it applies to (`BARU`, `RUSAK`, `HILANG`, `PERUBAHAN`); empty:
    /// every type.
    #[serde(default)]
    pub application_types: Vec<ApplicationType>,
    /// The receipt to print: `TANDA_PENGAMBILAN` or `SURAT_KETERANGAN`.
    pub receipt: ReceiptKind,
}

/// Whether `code` is a document code: 1..64 bytes of `A-Z 0-9 _`.
pub fn is_document_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

impl WorkflowConfig {
    /// Checks every value; the first fault is returned with its dotted key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for m in Modality::ALL {
            let t = self.thresholds.get(m);
            if t > 100 {
                return Err(err(
                    format!("thresholds.{}", m.as_str()),
                    format!("{t} is not a score 0..100"),
                ));
            }
            let b = self.retry_budget.get(m);
            if !(1..=10).contains(&b) {
                return Err(err(
                    format!("retry_budget.{}", m.as_str()),
                    format!("{b} is not 1..10 attempts"),
                ));
            }
        }
        for t in ApplicationType::ALL {
            let key = format!("documents.{}", t.as_str());
            let list = self.documents.required(t);
            if list.is_empty() {
                return Err(err(key, "at least one document code is required"));
            }
            for (i, code) in list.iter().enumerate() {
                if !is_document_code(code) {
                    return Err(err(
                        format!("{key}[{i}]"),
                        "a document code has 1..64 characters among A-Z 0-9 _",
                    ));
                }
                if list[..i].contains(code) {
                    return Err(err(
                        format!("{key}[{i}]"),
                        format!("{code} is listed twice"),
                    ));
                }
            }
        }
        if !is_document_code(&self.married_minor_document) {
            return Err(err(
                "married_minor_document",
                "a document code has 1..64 characters among A-Z 0-9 _",
            ));
        }
        if !(1..=100).contains(&self.eligibility_age) {
            return Err(err("eligibility_age", "must be 1..100 years"));
        }
        let ts = &self.time_standards;
        let standards = [
            ("document_check", Some(ts.document_check)),
            ("recording", Some(ts.recording)),
            ("printing", Some(ts.printing)),
            ("activation", Some(ts.activation)),
            ("handover", Some(ts.handover)),
            ("capture.face", ts.capture.face),
            ("capture.left_slap", ts.capture.left_slap),
            ("capture.right_slap", ts.capture.right_slap),
            ("capture.thumbs", ts.capture.thumbs),
            ("capture.irises", ts.capture.irises),
            ("capture.signature", ts.capture.signature),
        ];
        for (name, value) in standards {
            if let Some(v) = value {
                if !(1..=86_400).contains(&v) {
                    return Err(err(
                        format!("time_standards.{name}"),
                        format!("{v} is not 1..86400 seconds"),
                    ));
                }
            }
        }
        let is = &self.issuance;
        if !(1..=10).contains(&is.max_cards_per_job) {
            return Err(err("issuance.max_cards_per_job", "must be 1..10 cards"));
        }
        if !(1..=10).contains(&is.activation_attempts) {
            return Err(err(
                "issuance.activation_attempts",
                "must be 1..10 attempts",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_seeds_and_validate() {
        let c = WorkflowConfig::default();
        c.validate().unwrap();
        assert_eq!(
            c.thresholds,
            Thresholds {
                face: 50,
                slap: 40,
                thumbs: 40,
                iris: 60,
                signature: 30
            }
        );
        assert_eq!(c.retry_budget.get(Modality::Slap), 3);
        assert_eq!(
            c.documents.required(ApplicationType::Hilang),
            ["KK_COPY", "POLICE_LOSS_REPORT"]
        );
        assert_eq!(
            c.documents.required(ApplicationType::Rusak),
            ["KK_COPY", "DAMAGED_CARD"]
        );
        assert_eq!(
            c.documents.required(ApplicationType::Perubahan),
            ["KK_COPY", "OLD_CARD"]
        );
        assert_eq!(c.documents.required(ApplicationType::Baru), ["KK_COPY"]);
        assert_eq!(c.eligibility_age, 17);
        assert_eq!(
            (c.time_standards.recording, c.time_standards.printing),
            (300, 600)
        );
        assert_eq!(c.issuance.max_cards_per_job, 3);
        assert_eq!(c.issuance.activation_attempts, 4);
        assert_eq!(c.issuance.arrangement, Arrangement::Inline);
    }

    #[test]
    fn default_receipt_policy_is_candipuro() {
        let p = ReceiptPolicy::default();
        use ApplicationType::*;
        use DeferralReason::*;
        for t in [Rusak, Hilang, Perubahan] {
            assert_eq!(p.receipt_for(OutOfBlanks, t), ReceiptKind::SuratKeterangan);
            assert_eq!(
                p.receipt_for(NotPrintReady, t),
                ReceiptKind::TandaPengambilan
            );
        }
        assert_eq!(
            p.receipt_for(OutOfBlanks, Baru),
            ReceiptKind::TandaPengambilan
        );
        assert_eq!(
            p.receipt_for(ChipFaults, Hilang),
            ReceiptKind::TandaPengambilan
        );
    }

    #[test]
    fn toml_overrides_and_rejects_unknown_keys() {
        let text = r#"
            eligibility_age = 17
            married_minor_document = "BUKU_NIKAH"
            [thresholds]
            face = 55
            [documents]
            BARU = ["KK_COPY", "RT_RW_LETTER"]
            [time_standards.capture]
            face = 60
            [issuance]
            arrangement = "desk_encoder"
            [issuance.receipt_policy]
            default = "TANDA_PENGAMBILAN"
            [[issuance.receipt_policy.rules]]
            reasons = ["OUT_OF_BLANKS", "RIBBON_OUT"]
            receipt = "SURAT_KETERANGAN"
        "#;
        let c: WorkflowConfig = toml::from_str(text).unwrap();
        c.validate().unwrap();
        assert_eq!(c.thresholds.face, 55);
        assert_eq!(c.thresholds.iris, 60);
        assert_eq!(c.documents.baru, ["KK_COPY", "RT_RW_LETTER"]);
        assert_eq!(c.documents.hilang, ["KK_COPY", "POLICE_LOSS_REPORT"]);
        assert_eq!(c.time_standards.capture.face, Some(60));
        assert_eq!(c.issuance.arrangement, Arrangement::DeskEncoder);
        assert_eq!(
            c.issuance
                .receipt_policy
                .receipt_for(DeferralReason::RibbonOut, ApplicationType::Baru),
            ReceiptKind::SuratKeterangan
        );
        for bad in [
            "[thresholds]\nfase = 1",
            "eligibilty_age = 3",
            "[documents]\nbaru = []",
        ] {
            assert!(toml::from_str::<WorkflowConfig>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn validation_names_the_key() {
        let check = |f: &dyn Fn(&mut WorkflowConfig), key: &str| {
            let mut c = WorkflowConfig::default();
            f(&mut c);
            let e = c.validate().unwrap_err();
            assert_eq!(e.key, key, "{e}");
        };
        check(&|c| c.thresholds.face = 101, "thresholds.face");
        check(&|c| c.thresholds.iris = 200, "thresholds.iris");
        check(&|c| c.retry_budget.thumbs = 0, "retry_budget.thumbs");
        check(&|c| c.retry_budget.slap = 11, "retry_budget.slap");
        check(&|c| c.documents.rusak.clear(), "documents.RUSAK");
        check(
            &|c| c.documents.baru.push("kk copy".into()),
            "documents.BARU[1]",
        );
        check(
            &|c| c.documents.baru.push("KK_COPY".into()),
            "documents.BARU[1]",
        );
        check(
            &|c| c.married_minor_document = String::new(),
            "married_minor_document",
        );
        check(&|c| c.eligibility_age = 0, "eligibility_age");
        check(
            &|c| c.time_standards.handover = 0,
            "time_standards.handover",
        );
        check(
            &|c| c.time_standards.capture.irises = Some(0),
            "time_standards.capture.irises",
        );
        check(
            &|c| c.issuance.max_cards_per_job = 0,
            "issuance.max_cards_per_job",
        );
        check(
            &|c| c.issuance.activation_attempts = 11,
            "issuance.activation_attempts",
        );
        // Boundaries are accepted.
        let mut c = WorkflowConfig::default();
        c.thresholds.face = 100;
        c.thresholds.slap = 0;
        c.retry_budget.face = 10;
        c.validate().unwrap();
    }
}
