//! Source and background extraction for follow-up (timing and spectra): apertures from the PSF
//! encircled energy, background regions on the same CCD avoiding sources, live time.
