"""Independent reader for tests/oracle.rs: parses ISO/IEC 19794 records with the `iso19794`
PyPI package (IDEMIA) and prints their key fields as one JSON document on stdout.

Usage: python3 parse.py [--pixels] FILE...

Supported by the package: finger image records "FIR" version 020 (ISO/IEC 19794-4:2011) and
face image records "FAC" version 010 (ISO/IEC 19794-5:2005). Each FILE gives an object with
"file" and either "error" (the package refused it) or "format", the general header fields
and "frames" (one per representation). Codes the package turns into names are mapped back to
the numbers of its own tables, so the comparison is numeric. With --pixels each frame also
decodes its image through the package (Pillow's decoder for the record's compression: its
bundled OpenJPEG for JPEG 2000) and reports "pixels": the SHA-256 of the decoded samples,
row-major, interleaved.
"""

import hashlib

import json
import sys
import traceback

from PIL import Image
import iso19794  # noqa: F401  (registers the FIR and FAC plugins with Pillow)
from iso19794 import FAC, FIR


def code(table, name):
    return table[name]


def fir_frame(im):
    h = im.header
    return {
        "width": im.size[0],
        "height": im.size[1],
        "mode": im.mode,
        "capture": [h["capture_datetime"].year, h["capture_datetime"].month, h["capture_datetime"].day,
                    h["capture_datetime"].hour, h["capture_datetime"].minute, h["capture_datetime"].second,
                    h["capture_datetime"].microsecond],
        "technology": h["capture_device_technology_id"][0],
        "vendor": int.from_bytes(h["capture_device_vendor_id"], "big"),
        "device_type": int.from_bytes(h["capture_device_type_id"], "big"),
        "quality": [[q.score, int.from_bytes(q.algo_vendor_id, "big"), int.from_bytes(q.algo_id, "big")]
                    for q in h["quality_records"]],
        "certifications": [[int.from_bytes(c.authority_id, "big"), c.scheme_id[0]]
                           for c in h["certification_records"]],
        "position": code(FIR.POSITION, h["position"]),
        "number": h["number"],
        "scale_units": code(FIR.UNIT, h["scale_units"]),
        "rates": [h["horizontal_scan_sampling_rate"], h["vertical_scan_sampling_rate"],
                  h["horizontal_image_sampling_rate"], h["vertical_image_sampling_rate"]],
        "compression": code(FIR.COMPRESSION, h["image_compression_algo"]),
        "impression": code(FIR.IMPRESSION, h["impression_type"]),
    }


def fac_frame(im):
    h = im.header
    flags = 0
    for name in h["property_mask"]:
        flags |= FAC.PROPERTY_FLAGS[name]
    return {
        "width": im.size[0],
        "height": im.size[1],
        "mode": im.mode,
        "gender": code(FAC.GENDER, h["gender"]),
        "eye_colour": code(FAC.EYE_COLOUR, h["eye_colour"]),
        "hair_colour": code(FAC.HAIR_COLOUR, h["hair_colour"]),
        "property_mask": flags,
        "expression": int.from_bytes(FAC.EXPRESSION[h["expression"]], "big"),
        "pose": [h["pose_yaw"], h["pose_pitch"], h["pose_roll"]],
        "pose_uncertainty": [h["pose_uncertainty_yaw"], h["pose_uncertainty_pitch"], h["pose_uncertainty_roll"]],
        "landmarks": [[p.point_type, p.point_code, p.x, p.y, p.z] for p in h["landmark_points"]],
        "face_image_type": code(FAC.FACE_IMAGE_TYPE, h["face_image_type"]),
        "image_data_type": code(FAC.IMAGE_DATA_TYPE, h["image_data_type"]),
        "source_type": code(FAC.SOURCE_TYPE, h["source_type"]),
        "device_type": int.from_bytes(h["device_type"], "big"),
        "quality": h["quality"],
    }


def parse(path, pixels=False):
    im = Image.open(path)
    out = {"format": im.format}
    info = im.info
    if im.format == "FIR":
        out["version"] = info["version"].decode("ascii").rstrip("\0")
        out["representations"] = info["nb_representation"]
        out["certification_flag"] = bool(info["certification_flag"])
        out["positions"] = info["nb_position"]
        frame = fir_frame
        count = info["nb_representation"]
    elif im.format == "FAC":
        out["version"] = info["version"]
        out["representations"] = info["nb_facial_images"]
        frame = fac_frame
        count = info["nb_facial_images"]
    else:
        raise ValueError("unexpected format " + str(im.format))
    frames = []
    for i in range(count):
        if i > 0:
            im.seek(i)
        f = frame(im)
        if pixels:
            f["pixels"] = hashlib.sha256(im.tobytes()).hexdigest()
        frames.append(f)
    out["frames"] = frames
    return out


def main(args):
    pixels = "--pixels" in args
    paths = [a for a in args if a != "--pixels"]
    results = []
    for path in paths:
        try:
            entry = parse(path, pixels)
        except Exception as e:  # the package refusing a record is a result, not a crash
            entry = {"error": repr(e), "trace": traceback.format_exc(limit=3)}
        entry["file"] = path
        results.append(entry)
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
