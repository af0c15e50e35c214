// The noise-level estimator of deepdenoise, ported from Python:
// - estimateSigma: deepdenoise.noise.estimate_sigma, the median absolute deviation of
//   the finest diagonal Daubechies-2 wavelet coefficients, divided by 0.6745, times 255,
//   taken over the coefficients away from clipped black or white and in the flatter
//   half of the image (three rounds of choosing, then estimating again);
// - estimateNoiseLevel: deepdenoise.inference.estimate_noise_level, the policy the
//   command line applies to a whole photo (the central 2048 x 2048 pixels at most,
//   clipped to [0, 255], 0 when undefined).
// PyWavelets computes a float32 image in float32; every sum and product here is rounded
// to float32 (Math.fround) in the same order as PyWavelets' C code, so the coefficients
// and the median are the same numbers. tests/test_tryit_js.py checks it under node.

const f32 = Math.fround;

/** High-pass decomposition filter of the Daubechies-2 wavelet (PyWavelets' db2 dec_hi). */
const DB2_DEC_HI = [
  -0.48296291314453416, 0.8365163037378079, -0.2241438680420134, -0.12940952255126037,
].map(f32);

/** Low-pass decomposition filter of the Daubechies-2 wavelet (PyWavelets' db2 dec_lo). */
const DB2_DEC_LO = [
  -0.12940952255126037, 0.2241438680420134, 0.8365163037378079, 0.48296291314453416,
].map(f32);

/** The constants of deepdenoise.noise: _SATURATED_SHARE, _CLIP_MARGIN, and the rest. */
const SATURATED_SHARE = 1e-3;
const CLIP_MARGIN = 2.0;
const ESTIMATE_ROUNDS = 3;
const MIN_COEFFICIENTS = 64;

/** The 75th percentile of the standard normal distribution, scipy.stats.norm.ppf(0.75). */
const NORMAL_Q75 = 0.6744897501960817;

/** Side of the central crop estimateNoiseLevel looks at (inference._ESTIMATE_SIDE). */
export const ESTIMATE_SIDE = 2048;

/**
 * Filter `input` (n samples) with `filter` and keep every second output.
 *
 * PyWavelets' downsampling_convolution for MODE_SYMMETRIC with step 2, including the
 * order in which it adds the terms of each output (float addition is not associative).
 * Writes floor((n + F - 1) / 2) outputs into `output`.
 */
function downsampleSymmetric(input, n, filter, output) {
  const F = filter.length;
  let i = 1;
  let o = 0;
  // Left boundary overhang.
  for (; i < F && i < n; i += 2, ++o) {
    let sum = 0;
    let j = 0;
    for (; j <= i; ++j) sum = f32(sum + f32(filter[j] * input[i - j]));
    while (j < F) {
      for (let k = 0; k < n && j < F; ++j, ++k) sum = f32(sum + f32(filter[j] * input[k]));
      for (let k = 0; k < n && j < F; ++k, ++j) {
        sum = f32(sum + f32(filter[j] * input[n - 1 - k]));
      }
    }
    output[o] = sum;
  }
  // Centre, the filter inside the signal.
  for (; i < n; i += 2, ++o) {
    let sum = 0;
    for (let j = 0; j < F; ++j) sum = f32(sum + f32(input[i - j] * filter[j]));
    output[o] = sum;
  }
  // Centre, the filter wider than the signal (n < F).
  for (; i < F; i += 2, ++o) {
    let sum = 0;
    let j = 0;
    while (i - j >= n) {
      for (let k = 0; k < n && i - j >= n; ++j, ++k) {
        sum = f32(sum + f32(filter[i - n - j] * input[n - 1 - k]));
      }
      for (let k = 0; k < n && i - j >= n; ++j, ++k) {
        sum = f32(sum + f32(filter[i - n - j] * input[k]));
      }
    }
    for (; j <= i; ++j) sum = f32(sum + f32(filter[j] * input[i - j]));
    while (j < F) {
      for (let k = 0; k < n && j < F; ++j, ++k) sum = f32(sum + f32(filter[j] * input[k]));
      for (let k = 0; k < n && j < F; ++k, ++j) {
        sum = f32(sum + f32(filter[j] * input[n - 1 - k]));
      }
    }
    output[o] = sum;
  }
  // Right boundary overhang.
  for (; i < n + F - 1; i += 2, ++o) {
    let sum = 0;
    let j = 0;
    while (i - j >= n) {
      for (let k = 0; k < n && i - j >= n; ++j, ++k) {
        sum = f32(sum + f32(filter[i - n - j] * input[n - 1 - k]));
      }
      for (let k = 0; k < n && i - j >= n; ++j, ++k) {
        sum = f32(sum + f32(filter[i - n - j] * input[k]));
      }
    }
    for (; j < F; ++j) sum = f32(sum + f32(filter[j] * input[i - j]));
    output[o] = sum;
  }
  return o;
}

/**
 * One band of pywt.dwt2(plane, "db2"): `filterRows` down each column, then `filterColumns`
 * along each row (DB2_DEC_HI twice: the diagonal detail; DB2_DEC_LO twice: the
 * approximation).
 *
 * dwtn filters along axis 0 (down each column) first, stores the result as float32,
 * then along axis 1 (along each row).
 *
 * @param {Float32Array} plane - Row-major samples, height x width.
 * @returns {{data: Float32Array, height: number, width: number}}
 */
function waveletBand(plane, height, width, filterRows, filterColumns) {
  const F = filterRows.length;
  const outHeight = Math.floor((height + F - 1) / 2);
  const outWidth = Math.floor((width + F - 1) / 2);
  const columns = new Float32Array(outHeight * width);
  const line = new Float32Array(Math.max(height, width));
  const filtered = new Float32Array(Math.max(outHeight, outWidth));
  for (let x = 0; x < width; ++x) {
    for (let y = 0; y < height; ++y) line[y] = plane[y * width + x];
    downsampleSymmetric(line, height, filterRows, filtered);
    for (let y = 0; y < outHeight; ++y) columns[y * width + x] = filtered[y];
  }
  const band = new Float32Array(outHeight * outWidth);
  for (let y = 0; y < outHeight; ++y) {
    const row = columns.subarray(y * width, (y + 1) * width);
    downsampleSymmetric(row, width, filterColumns, filtered);
    band.set(filtered.subarray(0, outWidth), y * outWidth);
  }
  return { data: band, height: outHeight, width: outWidth };
}

/** The finest diagonal detail coefficients ("dd") of pywt.dwt2(plane, "db2"). */
export function diagonalDetail(plane, height, width) {
  return waveletBand(plane, height, width, DB2_DEC_HI, DB2_DEC_HI);
}

/** numpy.median of float32 values (NaN if none): the mean of the middle two in float32. */
function medianFloat32(values) {
  const count = values.length;
  if (count === 0) return NaN;
  const sorted = Float32Array.from(values).sort();
  const half = count >> 1;
  if (count % 2 === 1) return sorted[half];
  return f32(f32(sorted[half - 1] + sorted[half]) / 2);
}

/** numpy.median of float64 values: the mean of the middle two in float64. */
function medianFloat64(values) {
  const sorted = Float64Array.from(values).sort();
  const half = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[half];
  return (sorted[half - 1] + sorted[half]) / 2;
}

/** median(|values[i]|) / 0.6745 over the indices where `keep[i]` holds (NaN if none). */
function medianAbsScaled(values, keep) {
  const magnitudes = [];
  for (let i = 0; i < values.length; ++i) if (keep[i]) magnitudes.push(Math.abs(values[i]));
  return medianFloat32(magnitudes) / NORMAL_Q75;
}

/**
 * Noise sigma on the [0, 1] scale of one plane: deepdenoise.noise._estimate_plane.
 *
 * @param {Float32Array} plane - Row-major samples, height x width.
 * @returns {number} Sigma on the [0, 1] scale (NaN when every diagonal coefficient is 0).
 */
function estimatePlane(plane, height, width) {
  const diagonal = diagonalDetail(plane, height, width);
  const approximation = waveletBand(plane, height, width, DB2_DEC_LO, DB2_DEC_LO);
  const n = diagonal.data.length;
  const nonzero = new Uint8Array(n);
  for (let i = 0; i < n; ++i) nonzero[i] = diagonal.data[i] !== 0 ? 1 : 0;
  if (!nonzero.includes(1)) return NaN;
  let sigma = medianAbsScaled(diagonal.data, nonzero);
  // Local mean (a 3x3 box of approximation coefficients / 18) and local gradient, in
  // float64, with the edge values repeated past the border (numpy.pad mode "edge").
  const rows = approximation.height;
  const cols = approximation.width;
  const clamp = (value, top) => Math.min(Math.max(value, 0), top);
  const at = (y, x) => approximation.data[clamp(y, rows - 1) * cols + clamp(x, cols - 1)];
  const localMean = new Float64Array(n);
  const structure = new Float64Array(n);
  for (let y = 0; y < rows; ++y) {
    for (let x = 0; x < cols; ++x) {
      let box = 0;
      for (let dy = -1; dy <= 1; ++dy) for (let dx = -1; dx <= 1; ++dx) box += at(y + dy, x + dx);
      localMean[y * cols + x] = box / 18;
      structure[y * cols + x] =
        Math.abs(at(y + 1, x) - at(y - 1, x)) + Math.abs(at(y, x + 1) - at(y, x - 1));
    }
  }
  let atZero = 0;
  let atOne = 0;
  for (let i = 0; i < plane.length; ++i) {
    if (plane[i] === 0) ++atZero;
    else if (plane[i] === 1) ++atOne;
  }
  const clippedLow = atZero > SATURATED_SHARE * plane.length;
  const clippedHigh = atOne > SATURATED_SHARE * plane.length;
  const usable = new Uint8Array(n);
  for (let round = 0; round < ESTIMATE_ROUNDS; ++round) {
    let count = 0;
    for (let i = 0; i < n; ++i) {
      let keep = nonzero[i] === 1;
      if (clippedLow) keep = keep && localMean[i] > CLIP_MARGIN * sigma;
      if (clippedHigh) keep = keep && localMean[i] < 1 - CLIP_MARGIN * sigma;
      usable[i] = keep ? 1 : 0;
      if (keep) ++count;
    }
    if (count < MIN_COEFFICIENTS) break;
    const chosen = [];
    for (let i = 0; i < n; ++i) if (usable[i]) chosen.push(structure[i]);
    const median = medianFloat64(chosen);
    for (let i = 0; i < n; ++i) if (usable[i] && !(structure[i] <= median)) usable[i] = 0;
    sigma = medianAbsScaled(diagonal.data, usable);
  }
  return sigma;
}

/**
 * Estimate the standard deviation of Gaussian noise, on the 0-255 scale.
 *
 * The port of deepdenoise.noise.estimate_sigma: for each channel the median absolute
 * finest diagonal wavelet coefficient divided by 0.6745, over the coefficients away from
 * clipped black or white and in the flatter half of the image; the mean over channels.
 *
 * @param {Float32Array[]} planes - One row-major plane per channel, values in [0, 1].
 * @param {number} height - Plane height.
 * @param {number} width - Plane width.
 * @returns {number} Sigma on the 0-255 scale (NaN when every coefficient is zero).
 * @example
 * estimateSigma([plane], 256, 256); // about 25 for Gaussian noise of sigma 25 / 255
 */
export function estimateSigma(planes, height, width) {
  if (!Array.isArray(planes) || planes.length === 0) {
    throw new TypeError("planes must be a non-empty array of Float32Array channels");
  }
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`height and width must be positive integers, got ${height}x${width}`);
  }
  const sigmas = planes.map((plane, channel) => {
    if (!(plane instanceof Float32Array) || plane.length !== height * width) {
      throw new RangeError(`planes[${channel}] must be a Float32Array of ${height * width} values`);
    }
    for (let i = 0; i < plane.length; ++i) {
      if (!Number.isFinite(plane[i])) {
        throw new RangeError(`planes[${channel}] holds NaN or infinite values`);
      }
    }
    return estimatePlane(plane, height, width);
  });
  // numpy.mean of a short float64 list: a running sum, then one division.
  const mean = sigmas.length === 1 ? sigmas[0] : sigmas.reduce((a, b) => a + b) / sigmas.length;
  return mean * 255;
}

/**
 * The central crop of at most ESTIMATE_SIDE x ESTIMATE_SIDE pixels of an interleaved
 * 8-bit image, as float32 planes in [0, 1] (each sample divided by 255 in float32).
 *
 * @param {Uint8Array|Uint8ClampedArray} samples - Interleaved samples, `stride` per pixel.
 * @param {number} height - Image height.
 * @param {number} width - Image width.
 * @param {number} channels - Channels to take (1: the first of each pixel; 3: RGB).
 * @param {number} stride - Samples per pixel in `samples` (4 for canvas RGBA).
 */
export function centralUnitPlanes(samples, height, width, channels, stride) {
  const top = Math.max(0, Math.floor((height - ESTIMATE_SIDE) / 2));
  const left = Math.max(0, Math.floor((width - ESTIMATE_SIDE) / 2));
  const cropHeight = Math.min(ESTIMATE_SIDE, height - top);
  const cropWidth = Math.min(ESTIMATE_SIDE, width - left);
  const planes = [];
  for (let c = 0; c < channels; ++c) {
    const plane = new Float32Array(cropHeight * cropWidth);
    for (let y = 0; y < cropHeight; ++y) {
      const base = ((top + y) * width + left) * stride + c;
      for (let x = 0; x < cropWidth; ++x) {
        plane[y * cropWidth + x] = f32(samples[base + x * stride] / 255);
      }
    }
    planes.push(plane);
  }
  return { planes, height: cropHeight, width: cropWidth };
}

/**
 * Estimate the noise level of an 8-bit image as deepdenoise.inference.estimate_noise_level.
 *
 * @param {Uint8Array|Uint8ClampedArray} samples - Interleaved samples, `stride` per pixel.
 * @param {number} height - Image height.
 * @param {number} width - Image width.
 * @param {number} channels - 1 for a gray image, 3 for RGB.
 * @param {number} [stride] - Samples per pixel in `samples`; default `channels`.
 * @returns {number} Sigma on the 0-255 scale, in [0, 255]; 0 for an image without detail.
 */
export function estimateNoiseLevel(samples, height, width, channels, stride = channels) {
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`channels must be 1 or 3, got ${channels}`);
  }
  if (samples.length < height * width * stride) {
    throw new RangeError(`samples holds ${samples.length} values, fewer than ${height}x${width}`);
  }
  const crop = centralUnitPlanes(samples, height, width, channels, stride);
  const estimate = estimateSigma(crop.planes, crop.height, crop.width);
  return Number.isFinite(estimate) ? Math.min(Math.max(estimate, 0), 255) : 0;
}
