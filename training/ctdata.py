"""Reading the real CT series (pydicom), pairing reconstructions by ImagePositionPatient, HU window.

Run from the repository root; the data lie in ../shared/data/ct/ (never copied into the repository).
"""
import os

import numpy as np
import pydicom

DATA = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "ct"))
HU_WINDOW = (-1150.0, 350.0)

SERIES = {
    "A0001-sharp": "lung-pet-ct-dx-A0001-philips-L",
    "A0001-soft": "lung-pet-ct-dx-A0001-philips-B",
    "A0002-sharp": "lung-pet-ct-dx-A0002-siemens-B70f",
    "A0002-soft": "lung-pet-ct-dx-A0002-siemens-B40f",
    "B30f": "tcga-thca-DE-A4MA-siemens-B30f",
}

# What a harmonizer trained on a patient's soft series produces (manifest output.targetKernel: what a
# chained step after it sees as the series' kernel).
SOFT_KERNEL_LABEL = {"A0001": "Philips B-like", "A0002": "B40f-like soft"}


class Series:
    """HU slices sorted along the slice normal, with their positions and pixel spacing."""

    def __init__(self, name, hu, positions, spacing, kernel):
        self.name = name
        self.hu = hu  # float32, slices x rows x columns
        self.positions = positions  # slices x 3, ImagePositionPatient
        self.spacing = spacing  # (row spacing, column spacing) in mm
        self.kernel = kernel


def read_series(key):
    folder = os.path.join(DATA, SERIES[key])
    slices = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".dcm"):
            continue
        ds = pydicom.dcmread(os.path.join(folder, name))
        hu = ds.pixel_array.astype(np.float32) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        orientation = np.array([float(v) for v in ds.ImageOrientationPatient])
        normal = np.cross(orientation[:3], orientation[3:])
        position = np.array([float(v) for v in ds.ImagePositionPatient])
        slices.append((float(position @ normal), position, hu))
        spacing = tuple(float(v) for v in ds.PixelSpacing)
        kernel = str(ds.get("ConvolutionKernel", ""))
    slices.sort(key=lambda s: s[0])
    return Series(key, np.stack([s[2] for s in slices]), np.stack([s[1] for s in slices]), spacing, kernel)


def paired(patient):
    """(sharp, soft) volumes of one Lung-PET-CT-Dx patient, slice k of each at the same position."""
    sharp, soft = read_series(f"{patient}-sharp"), read_series(f"{patient}-soft")
    index = {tuple(np.round(p, 2)): k for k, p in enumerate(soft.positions)}
    keep_sharp, keep_soft = [], []
    for k, p in enumerate(sharp.positions):
        match = index.get(tuple(np.round(p, 2)))
        if match is not None:
            keep_sharp.append(k)
            keep_soft.append(match)
    if not keep_sharp:
        raise ValueError(f"{patient}: no slice positions in common between the sharp and soft series")
    sharp.hu, sharp.positions = sharp.hu[keep_sharp], sharp.positions[keep_sharp]
    soft.hu, soft.positions = soft.hu[keep_soft], soft.positions[keep_soft]
    return sharp, soft


def normalize(hu):
    """HU clipped to the window and mapped to [-1, 1], as the node's tiler does."""
    low, high = HU_WINDOW
    return (np.clip(hu, low, high) - low) * (2.0 / (high - low)) - 1.0


def denormalize(x):
    low, high = HU_WINDOW
    return (x + 1.0) * 0.5 * (high - low) + low


def other_patient(patient):
    return {"A0001": "A0002", "A0002": "A0001"}[patient]


def fold_patients(fold):
    """Fold 1 trains on A0001 and holds out A0002; fold 2 the other way round."""
    train = {1: "A0001", 2: "A0002"}[fold]
    return train, other_patient(train)
