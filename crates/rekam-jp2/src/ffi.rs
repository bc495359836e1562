//! The FFI boundary to OpenJPEG (through `openjpeg-sys`): the only `unsafe` code of this crate.
//!
//! Invariants kept here, and relied on by every `SAFETY` comment:
//! - Every OpenJPEG object (image, codec, stream) is owned by exactly one guard below that
//!   destroys it once, on drop; a null pointer is never passed where OpenJPEG wants an object.
//! - Callback user data (the [`Messages`], [`Sink`] and [`Source`]) are locals declared *before*
//!   the codec and stream that point to them, so they outlive every callback (locals drop in
//!   reverse order). Rust does not touch a sink or source while its stream is alive; messages are
//!   only read through a shared reference and written through a `RefCell`.
//! - Stream callbacks run on the calling thread: OpenJPEG's worker threads only code
//!   code-blocks, they never do stream I/O or report through the callbacks we register
//!   (messages go through the codec's event manager on the calling thread).
//! - Callbacks never unwind (no indexing that can fail, no `unwrap`); an `extern "C"` function
//!   that panicked would abort anyway.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::{c_char, c_void, CStr};
use std::mem::MaybeUninit;
use std::ptr;

use openjpeg_sys as opj;

use crate::{Container, Decoded, EncodeOptions, Jp2Error, Result, Stage, MAX_PIXELS};

/// Internal buffer size of an OpenJPEG stream.
const STREAM_CHUNK: usize = 64 * 1024;
/// OpenJPEG's boolean true.
const OPJ_TRUE: opj::OPJ_BOOL = 1;
/// At most this many characters of an OpenJPEG message are kept.
const MESSAGE_MAX: usize = 200;

fn format(container: Container) -> opj::CODEC_FORMAT {
    match container {
        Container::Jp2 => opj::CODEC_FORMAT::OPJ_CODEC_JP2,
        Container::J2k => opj::CODEC_FORMAT::OPJ_CODEC_J2K,
    }
}

/// The last error message OpenJPEG reported for one codec.
#[derive(Default)]
struct Messages {
    last_error: RefCell<String>,
}

impl Messages {
    fn error(&self, stage: Stage, fallback: &str) -> Jp2Error {
        let message = match self.last_error.try_borrow() {
            Ok(m) if !m.is_empty() => m.clone(),
            _ => fallback.to_string(),
        };
        Jp2Error::Codec { stage, message }
    }
}

/// Error handler registered on each codec.
unsafe extern "C" fn on_error(msg: *const c_char, client: *mut c_void) {
    if msg.is_null() || client.is_null() {
        return;
    }
    // SAFETY: `client` is the `&Messages` registered with this codec, declared before the codec
    // and so alive for every call (module invariants); only shared references to it exist.
    let messages = unsafe { &*client.cast::<Messages>() };
    // SAFETY: OpenJPEG passes a NUL-terminated message it formatted into its own buffer, valid
    // for the duration of the call; we copy it out.
    let text = unsafe { CStr::from_ptr(msg) }.to_string_lossy();
    if let Ok(mut last) = messages.last_error.try_borrow_mut() {
        *last = text.trim().chars().take(MESSAGE_MAX).collect();
    }
}

/// Owns an `opj_image_t`.
struct Image(*mut opj::opj_image_t);

impl Drop for Image {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from opj_image_create or opj_read_header, is owned only by
            // this guard and is destroyed once.
            unsafe { opj::opj_image_destroy(self.0) }
        }
    }
}

/// Owns an `opj_codec_t`.
struct Codec(*mut opj::opj_codec_t);

impl Codec {
    fn new(ptr: *mut opj::opj_codec_t) -> Result<Self> {
        if ptr.is_null() {
            return Err(Jp2Error::Codec {
                stage: Stage::Allocate,
                message: "OpenJPEG could not create a codec".into(),
            });
        }
        Ok(Codec(ptr))
    }

    /// Sends the codec's errors to `messages` (which must outlive the codec).
    fn report_to(&self, messages: &Messages) {
        let client = ptr::from_ref(messages).cast_mut().cast::<c_void>();
        // SAFETY: self.0 is a live codec; `messages` outlives it (declared first by every
        // caller) and `on_error` only takes a shared reference to it.
        unsafe {
            opj::opj_set_error_handler(self.0, Some(on_error), client);
        }
    }
}

impl Drop for Codec {
    fn drop(&mut self) {
        // SAFETY: non-null (checked in `new`), owned only by this guard, destroyed once.
        unsafe { opj::opj_destroy_codec(self.0) }
    }
}

/// Owns an `opj_stream_t`.
struct Stream(*mut opj::opj_stream_t);

impl Stream {
    fn new(input: bool) -> Result<Self> {
        // SAFETY: plain allocation call; the result is checked for null.
        let ptr = unsafe { opj::opj_stream_create(STREAM_CHUNK, opj::OPJ_BOOL::from(input)) };
        if ptr.is_null() {
            return Err(Jp2Error::Codec {
                stage: Stage::Allocate,
                message: "OpenJPEG could not create a stream".into(),
            });
        }
        Ok(Stream(ptr))
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: non-null (checked in `new`), owned only by this guard, destroyed once; no
        // free-user-data function was registered, so the sink or source is left alone.
        unsafe { opj::opj_stream_destroy(self.0) }
    }
}

/// Growable output with a cursor: OpenJPEG's JP2 writer skips ahead and seeks back to patch box
/// lengths.
struct Sink {
    buf: Vec<u8>,
    pos: usize,
}

impl Sink {
    fn write(&mut self, data: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(data.len())?;
        if end > self.buf.len() {
            self.buf.resize(end, 0);
        }
        self.buf.get_mut(self.pos..end)?.copy_from_slice(data);
        self.pos = end;
        Some(())
    }

    fn seek(&mut self, pos: i64) -> Option<()> {
        let pos = usize::try_from(pos).ok()?;
        // A box header is patched at most a few bytes back or ahead; refuse absurd offsets
        // rather than allocate them.
        if pos > self.buf.len().saturating_add(STREAM_CHUNK) {
            return None;
        }
        if pos > self.buf.len() {
            self.buf.resize(pos, 0);
        }
        self.pos = pos;
        Some(())
    }
}

unsafe extern "C" fn sink_write(buf: *mut c_void, n: usize, user: *mut c_void) -> usize {
    if n == 0 {
        return 0;
    }
    if buf.is_null() || user.is_null() {
        return usize::MAX;
    }
    // SAFETY: `user` is the `Sink` registered with this output stream; it outlives the stream
    // and Rust does not touch it while the stream is alive (module invariants), so this is the
    // only reference.
    let sink = unsafe { &mut *user.cast::<Sink>() };
    // SAFETY: OpenJPEG passes its stream buffer holding `n` initialised bytes, valid and
    // unaliased by us for the duration of the call.
    let data = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), n) };
    match sink.write(data) {
        Some(()) => n,
        None => usize::MAX,
    }
}

unsafe extern "C" fn sink_skip(n: i64, user: *mut c_void) -> i64 {
    if user.is_null() {
        return -1;
    }
    // SAFETY: as in `sink_write`.
    let sink = unsafe { &mut *user.cast::<Sink>() };
    let target = i64::try_from(sink.pos).ok().and_then(|p| p.checked_add(n));
    match target.and_then(|t| sink.seek(t)) {
        Some(()) => n,
        None => -1,
    }
}

unsafe extern "C" fn sink_seek(pos: i64, user: *mut c_void) -> opj::OPJ_BOOL {
    if user.is_null() {
        return 0;
    }
    // SAFETY: as in `sink_write`.
    let sink = unsafe { &mut *user.cast::<Sink>() };
    opj::OPJ_BOOL::from(sink.seek(pos).is_some())
}

/// Input over a borrowed slice.
struct Source<'a> {
    data: &'a [u8],
    pos: usize,
}

unsafe extern "C" fn source_read(buf: *mut c_void, n: usize, user: *mut c_void) -> usize {
    if buf.is_null() || user.is_null() {
        return usize::MAX;
    }
    // SAFETY: `user` is the `Source` registered with this input stream; it outlives the stream
    // and is not touched by Rust meanwhile (module invariants).
    let src = unsafe { &mut *user.cast::<Source<'_>>() };
    let rest = src.data.get(src.pos..).unwrap_or_default();
    if rest.is_empty() {
        // OpenJPEG's end-of-stream value.
        return usize::MAX;
    }
    let k = n.min(rest.len());
    // SAFETY: OpenJPEG passes a writable buffer of at least `n` >= `k` bytes that it owns for the
    // duration of the call and that does not overlap our input slice.
    let out = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), k) };
    out.copy_from_slice(&rest[..k]);
    src.pos += k;
    k
}

unsafe extern "C" fn source_skip(n: i64, user: *mut c_void) -> i64 {
    if user.is_null() {
        return -1;
    }
    // SAFETY: as in `source_read`.
    let src = unsafe { &mut *user.cast::<Source<'_>>() };
    let target = i64::try_from(src.pos).ok().and_then(|p| p.checked_add(n));
    match target.and_then(|t| usize::try_from(t).ok()) {
        // Like fseek: skipping past the end succeeds and the next read reports end of stream.
        Some(t) => {
            src.pos = t.min(src.data.len());
            n
        }
        None => -1,
    }
}

unsafe extern "C" fn source_seek(pos: i64, user: *mut c_void) -> opj::OPJ_BOOL {
    if user.is_null() {
        return 0;
    }
    // SAFETY: as in `source_read`.
    let src = unsafe { &mut *user.cast::<Source<'_>>() };
    match usize::try_from(pos) {
        Ok(p) if p <= src.data.len() => {
            src.pos = p;
            OPJ_TRUE
        }
        _ => 0,
    }
}

/// Decomposition levels plus one, as many as the smaller side allows, at most OpenJPEG's default
/// of six (five levels). OpenJPEG only adapts its default to small images in IMF profiles, and a
/// level count the image cannot hold is an encoder error.
fn resolutions(width: u32, height: u32) -> i32 {
    let side = width.min(height).max(1);
    // floor(log2(side)) + 1, capped.
    let levels = 32 - side.leading_zeros();
    levels.min(6) as i32
}

/// Encodes a checked buffer (the caller validated dimensions, channels and length; checked
/// again here because this is the safety boundary).
pub(crate) fn encode(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: u8,
    options: &EncodeOptions,
) -> Result<Vec<u8>> {
    let nch = usize::from(channels);
    let count = (width as usize).saturating_mul(height as usize);
    if !(channels == 1 || channels == 3) || count == 0 || pixels.len() != count.saturating_mul(nch)
    {
        return Err(Jp2Error::BufferSize {
            len: pixels.len(),
            width,
            height,
            channels: channels.into(),
        });
    }
    let messages = Messages::default();
    let mut sink = Sink {
        buf: Vec::with_capacity(pixels.len() / 2 + 1024),
        pos: 0,
    };

    let mut parms = [opj::opj_image_cmptparm_t {
        dx: 1,
        dy: 1,
        w: width,
        h: height,
        x0: 0,
        y0: 0,
        prec: 8,
        bpp: 8,
        sgnd: 0,
    }; 3];
    let space = if channels == 3 {
        opj::COLOR_SPACE::OPJ_CLRSPC_SRGB
    } else {
        opj::COLOR_SPACE::OPJ_CLRSPC_GRAY
    };
    // SAFETY: `parms` holds 3 >= `channels` initialised parameter structs, which
    // opj_image_create only reads; it returns a new image or null (checked).
    let image =
        Image(unsafe { opj::opj_image_create(u32::from(channels), parms.as_mut_ptr(), space) });
    if image.0.is_null() {
        return Err(Jp2Error::Codec {
            stage: Stage::Allocate,
            message: "OpenJPEG could not allocate the image".into(),
        });
    }
    {
        // SAFETY: non-null image just created and owned by `image`; no other reference exists.
        let img = unsafe { &mut *image.0 };
        img.x0 = 0;
        img.y0 = 0;
        img.x1 = width;
        img.y1 = height;
        if img.comps.is_null() || img.numcomps != u32::from(channels) {
            return Err(Jp2Error::Codec {
                stage: Stage::Allocate,
                message: "OpenJPEG returned an image without components".into(),
            });
        }
        // SAFETY: opj_image_create allocated `numcomps` == `channels` components at `comps`.
        let comps = unsafe { std::slice::from_raw_parts_mut(img.comps, nch) };
        for (c, comp) in comps.iter_mut().enumerate() {
            if comp.data.is_null() || comp.w != width || comp.h != height {
                return Err(Jp2Error::Codec {
                    stage: Stage::Allocate,
                    message: "OpenJPEG returned a component without data".into(),
                });
            }
            // SAFETY: opj_image_create allocated and zeroed w * h == `count` i32 samples for each
            // component (dx = dy = 1); the image is exclusively ours.
            let data = unsafe { std::slice::from_raw_parts_mut(comp.data, count) };
            for (d, s) in data.iter_mut().zip(pixels.iter().skip(c).step_by(nch)) {
                *d = i32::from(*s);
            }
        }
    }

    let mut params = MaybeUninit::<opj::opj_cparameters_t>::uninit();
    // SAFETY: the function memsets the whole struct to zero then stores defaults, so every byte
    // is initialised; all fields are integers, floats, raw pointers or C enums whose zero and
    // default values are valid discriminants (OPJ_LRCP, OPJ_OFF, OPJ_STD_RSIZ).
    let mut params = unsafe {
        opj::opj_set_default_encoder_parameters(params.as_mut_ptr());
        params.assume_init()
    };
    // Lossless: reversible 5/3 wavelet, one layer with no rate limit.
    params.irreversible = 0;
    params.tcp_numlayers = 1;
    params.tcp_rates[0] = 0.0;
    params.cp_disto_alloc = 1;
    params.numresolution = resolutions(width, height);
    params.tcp_mct = if channels == 3 { 1 } else { 0 };

    // SAFETY: plain constructor; the result is checked for null in `Codec::new`.
    let codec = Codec::new(unsafe { opj::opj_create_compress(format(options.container)) })?;
    codec.report_to(&messages);
    // SAFETY: live codec, parameters initialised above, live image owned by `image` (OpenJPEG
    // copies what it keeps of the parameters and the image header).
    if unsafe { opj::opj_setup_encoder(codec.0, &mut params, image.0) } != OPJ_TRUE {
        return Err(messages.error(Stage::SetupEncoder, "encoder setup refused the parameters"));
    }
    if options.threads > 1 {
        // SAFETY: live codec. A build without thread support returns false, and OpenJPEG then
        // codes on the calling thread, which is still correct: the result is ignored.
        unsafe {
            opj::opj_codec_set_threads(codec.0, i32::from(options.threads));
        }
    }

    let stream = Stream::new(false)?;
    let user = ptr::from_mut(&mut sink).cast::<c_void>();
    // SAFETY: live stream; the callbacks match OpenJPEG's prototypes; `sink` is declared before
    // the stream and left alone until the stream is dropped (module invariants); no free
    // function, so OpenJPEG never frees the sink.
    unsafe {
        opj::opj_stream_set_write_function(stream.0, Some(sink_write));
        opj::opj_stream_set_skip_function(stream.0, Some(sink_skip));
        opj::opj_stream_set_seek_function(stream.0, Some(sink_seek));
        opj::opj_stream_set_user_data(stream.0, user, None);
    }
    // SAFETY: live codec, image and stream, set up above, used from this thread only.
    let ok = unsafe {
        opj::opj_start_compress(codec.0, image.0, stream.0) == OPJ_TRUE
            && opj::opj_encode(codec.0, stream.0) == OPJ_TRUE
            && opj::opj_end_compress(codec.0, stream.0) == OPJ_TRUE
    };
    drop(stream);
    if !ok {
        return Err(messages.error(Stage::Encode, "encoding failed"));
    }
    drop(codec);
    Ok(sink.buf)
}

fn unsupported(reason: &'static str) -> Jp2Error {
    Jp2Error::Unsupported { reason }
}

/// Width, height and components of a decoded or header-only image, validated: 1 or 3 unsigned
/// 8-bit components on the full grid, within [`MAX_PIXELS`].
fn checked_layout(img: &opj::opj_image_t) -> Result<(u32, u32, usize)> {
    let width = img.x1.saturating_sub(img.x0);
    let height = img.y1.saturating_sub(img.y0);
    if width == 0 || height == 0 {
        return Err(Jp2Error::Codec {
            stage: Stage::ReadHeader,
            message: "image area is empty".into(),
        });
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Jp2Error::TooLarge {
            width,
            height,
            max: MAX_PIXELS,
        });
    }
    let n = match img.numcomps {
        1 => 1,
        3 => 3,
        _ => {
            return Err(unsupported(
                "only 1 (grey) or 3 (RGB) components are supported",
            ))
        }
    };
    if img.comps.is_null() {
        return Err(Jp2Error::Codec {
            stage: Stage::ReadHeader,
            message: "image has no component descriptions".into(),
        });
    }
    if n == 3
        && matches!(
            img.color_space,
            opj::COLOR_SPACE::OPJ_CLRSPC_SYCC
                | opj::COLOR_SPACE::OPJ_CLRSPC_EYCC
                | opj::COLOR_SPACE::OPJ_CLRSPC_CMYK
        )
    {
        return Err(unsupported("colour space other than RGB"));
    }
    // SAFETY: OpenJPEG keeps `numcomps` (== n) component descriptions at non-null `comps` for the
    // image's lifetime; we only read them.
    let comps = unsafe { std::slice::from_raw_parts(img.comps, n) };
    for c in comps {
        if c.prec != 8 {
            return Err(unsupported("only 8-bit samples are supported"));
        }
        if c.sgnd != 0 {
            return Err(unsupported("signed samples are not supported"));
        }
        if c.dx != 1 || c.dy != 1 {
            return Err(unsupported("subsampled components are not supported"));
        }
    }
    Ok((width, height, n))
}

/// Decodes JPEG 2000 bytes whose container was sniffed by the caller.
pub(crate) fn decode(bytes: &[u8], container: Container) -> Result<Decoded> {
    let messages = Messages::default();
    let mut source = Source {
        data: bytes,
        pos: 0,
    };
    // SAFETY: plain constructor; the result is checked for null in `Codec::new`.
    let codec = Codec::new(unsafe { opj::opj_create_decompress(format(container)) })?;
    codec.report_to(&messages);
    let mut params = MaybeUninit::<opj::opj_dparameters_t>::uninit();
    // SAFETY: the function memsets the whole struct then stores defaults; all fields are
    // integers, arrays of them, or enums whose zero is a valid discriminant.
    let mut params = unsafe {
        opj::opj_set_default_decoder_parameters(params.as_mut_ptr());
        params.assume_init()
    };
    // SAFETY: live codec, initialised parameters (copied by OpenJPEG).
    if unsafe { opj::opj_setup_decoder(codec.0, &mut params) } != OPJ_TRUE {
        return Err(messages.error(Stage::ReadHeader, "decoder setup failed"));
    }

    let stream = Stream::new(true)?;
    let user = ptr::from_mut(&mut source).cast::<c_void>();
    // SAFETY: live stream; callbacks match the prototypes; `source` is declared before the
    // stream and untouched until the stream is dropped; no free function.
    unsafe {
        opj::opj_stream_set_read_function(stream.0, Some(source_read));
        opj::opj_stream_set_skip_function(stream.0, Some(source_skip));
        opj::opj_stream_set_seek_function(stream.0, Some(source_seek));
        opj::opj_stream_set_user_data(stream.0, user, None);
        opj::opj_stream_set_user_data_length(stream.0, bytes.len() as u64);
    }

    let mut raw: *mut opj::opj_image_t = ptr::null_mut();
    // SAFETY: live stream and codec; `raw` is a valid out-pointer. Whatever image OpenJPEG
    // stores there is owned by the `Image` guard right after, success or not.
    let ok = unsafe { opj::opj_read_header(stream.0, codec.0, &mut raw) } == OPJ_TRUE;
    let image = Image(raw);
    if !ok || image.0.is_null() {
        return Err(messages.error(Stage::ReadHeader, "not a readable JPEG 2000 header"));
    }
    {
        // SAFETY: non-null image owned by `image`, not modified while this reference lives.
        let img = unsafe { &*image.0 };
        checked_layout(img)?;
    }
    // SAFETY: live codec, stream and image from opj_read_header on this codec.
    let ok = unsafe {
        opj::opj_decode(codec.0, stream.0, image.0) == OPJ_TRUE
            && opj::opj_end_decompress(codec.0, stream.0) == OPJ_TRUE
    };
    drop(stream);
    if !ok {
        return Err(messages.error(Stage::Decode, "the codestream could not be decoded"));
    }

    // SAFETY: non-null image owned by `image`; decoding is finished, so OpenJPEG no longer
    // writes to it.
    let img = unsafe { &*image.0 };
    // JP2 palettes and channel definitions are applied while decoding: check again.
    let (width, height, n) = checked_layout(img)?;
    let count = width as usize * height as usize;
    // SAFETY: as in `checked_layout`: `n` component descriptions at non-null `comps`.
    let comps = unsafe { std::slice::from_raw_parts(img.comps, n) };
    let mut pixels = vec![0u8; count * n];
    for (c, comp) in comps.iter().enumerate() {
        if comp.data.is_null() || comp.w != width || comp.h != height {
            return Err(Jp2Error::Codec {
                stage: Stage::Decode,
                message: "a component was not decoded at full size".into(),
            });
        }
        // SAFETY: after a successful decode each component holds w * h == `count` samples at
        // non-null `data`, owned by the image, which outlives this borrow.
        let data = unsafe { std::slice::from_raw_parts(comp.data, count) };
        for (d, s) in pixels.iter_mut().skip(c).step_by(n).zip(data) {
            *d = u8::try_from(*s).map_err(|_| Jp2Error::Codec {
                stage: Stage::Decode,
                message: "a decoded sample is outside 0-255".into(),
            })?;
        }
    }
    drop(image);
    drop(codec);
    Ok(Decoded {
        width,
        height,
        channels: n as u8,
        container,
        pixels,
    })
}

/// OpenJPEG's version string.
pub(crate) fn version() -> String {
    // SAFETY: opj_version returns a pointer to a static NUL-terminated string (or null, handled).
    let v = unsafe { opj::opj_version() };
    if v.is_null() {
        return String::new();
    }
    // SAFETY: non-null static NUL-terminated string.
    unsafe { CStr::from_ptr(v) }.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolutions_fit_the_smaller_side() {
        assert_eq!(resolutions(1, 1), 1);
        assert_eq!(resolutions(3, 7), 2);
        assert_eq!(resolutions(4, 100), 3);
        assert_eq!(resolutions(31, 1000), 5);
        assert_eq!(resolutions(32, 32), 6);
        assert_eq!(resolutions(1600, 1000), 6);
    }

    #[test]
    fn sink_patches_and_skips() {
        let mut s = Sink {
            buf: Vec::new(),
            pos: 0,
        };
        assert!(s.write(b"abc").is_some());
        assert!(s.seek(8).is_some());
        assert!(s.write(b"z").is_some());
        assert!(s.seek(1).is_some());
        assert!(s.write(b"X").is_some());
        assert_eq!(s.buf, b"aXc\0\0\0\0\0z");
        assert!(s.seek(-1).is_none());
        assert!(s.seek(i64::MAX).is_none());
    }
}
