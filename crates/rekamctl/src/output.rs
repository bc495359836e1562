//! Where a command writes: the output stream, human or JSON, and how human output looks.

use std::io::Write;

use crate::ui::Style;

/// The output side of a command.
pub struct Ctx<'a> {
    /// Standard output (or a buffer in tests).
    pub out: &'a mut dyn Write,
    /// Machine output: one JSON document, or one JSON object per line for streams.
    pub json: bool,
    /// How human output looks.
    pub style: Style,
    /// Draw progress bars (standard output is a terminal and `--json` is off).
    pub progress: bool,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("json", &self.json)
            .field("style", &self.style)
            .field("progress", &self.progress)
            .finish_non_exhaustive()
    }
}
