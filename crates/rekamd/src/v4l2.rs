//! `v4l2:` devices in the driver factory: face and iris cameras driven by `rekam-dev-v4l2`.
//! A device node does not say what the camera is for, so the configuration names the
//! family. The camera is opened lazily: the daemon starts with it unplugged (listed as
//! disconnected until it is plugged in).
//!
//! Built with the `scripted-cameras` feature (tests and benchmarks only), a selector
//! `v4l2:scripted:MODE[,MODE]` (e.g. `v4l2:scripted:mjpeg-1280x720@30?preview_frames=300`)
//! opens `rekam-dev-v4l2`'s paced scripted camera instead of a device node: the preview
//! benchmark (`benches/preview.rs`) runs the whole preview path with it. Without the feature
//! such a selector is a configuration error.
//!
//! ```toml
//! [[devices]]
//! selector = "v4l2:/dev/rekam-face?preview_width=640&focus=auto"
//! family = "face"
//!
//! [[devices]]
//! selector = "v4l2:/dev/rekam-iris?exposure=120"
//! family = "iris"
//! ```

use rekam_hal::{AnyDevice, DeviceFamily};

use crate::config::{Config, ConfigError, DeviceConfig};

/// Opens configured device number `index` (a `v4l2:` selector).
pub fn open(config: &Config, index: usize, dev: &DeviceConfig) -> Result<AnyDevice, ConfigError> {
    let bad = |key: &str, message: String| config.device_error(index, key, message);
    let family = match dev.family {
        Some(f @ (DeviceFamily::FaceCamera | DeviceFamily::IrisCamera)) => f,
        _ => {
            return Err(bad(
                "family",
                "a v4l2: camera needs family = \"face\" or \"iris\"".into(),
            ))
        }
    };
    rekam_dev_v4l2::open(family, dev.id.clone(), &dev.selector)
        .map_err(|e| bad("selector", e.to_string()))
}

#[cfg(test)]
mod tests {
    use rekam_hal::{DeviceFamily, DeviceState};

    use crate::config::Config;

    fn config(devices: &str) -> Config {
        let dir = std::env::temp_dir().join("rekamd-v4l2-test");
        Config::parse(
            &format!("[daemon]\nstate_dir = \"{}\"\n\n{devices}", dir.display()),
            "t",
        )
        .unwrap()
    }

    #[test]
    fn cameras_need_their_family_and_open_while_unplugged() {
        let cfg = config(
            "[[devices]]\nselector = \"v4l2:/dev/rekam-no-such-video\"\nfamily = \"iris\"\n\n[[devices]]\nselector = \"v4l2:/dev/rekam-no-such-video2?focus=auto\"\nfamily = \"face\"\n",
        );
        assert_eq!(cfg.devices[0].id.as_str(), "v4l2:iris:0");
        assert_eq!(cfg.devices[1].id.as_str(), "v4l2:face:0");
        let mut iris = super::open(&cfg, 0, &cfg.devices[0]).unwrap();
        assert_eq!(iris.family(), DeviceFamily::IrisCamera);
        assert_eq!(iris.info().driver, "v4l2");
        let ctl = rekam_hal::Control::with_timeout(std::time::Duration::from_secs(1));
        assert_eq!(
            iris.device_mut().status(&ctl).unwrap().state,
            DeviceState::Disconnected
        );
        let face = super::open(&cfg, 1, &cfg.devices[1]).unwrap();
        assert_eq!(face.family(), DeviceFamily::FaceCamera);

        let cfg = config("[[devices]]\nselector = \"v4l2:/dev/video0\"\n");
        assert_eq!(
            super::open(&cfg, 0, &cfg.devices[0]).unwrap_err().key,
            "devices[0].family"
        );
        let cfg =
            config("[[devices]]\nselector = \"v4l2:/dev/video0?zoom=3\"\nfamily = \"face\"\n");
        assert_eq!(
            super::open(&cfg, 0, &cfg.devices[0]).unwrap_err().key,
            "devices[0].selector"
        );
    }
}
