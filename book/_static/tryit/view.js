// The before/after view: an overview split between the noisy and the denoised image,
// and side-by-side crops of both at 100-400 %, centred where the reader clicks.

/**
 * Draw the overview: the noisy preview left of `split` (0-1), the denoised one right.
 *
 * @param {HTMLCanvasElement} canvas - The overview canvas.
 * @param {HTMLCanvasElement} before - Preview of the noisy image.
 * @param {HTMLCanvasElement|null} after - Preview of the result, same size, or null.
 * @param {number} split - Fraction of the width showing the noisy image.
 * @param {{x: number, y: number, side: number}|null} focus - Crop square, in preview pixels.
 */
export function drawOverview(canvas, before, after, split, focus) {
  canvas.width = before.width;
  canvas.height = before.height;
  const context = canvas.getContext("2d");
  context.drawImage(before, 0, 0);
  if (after) {
    const x = Math.round(split * before.width);
    const rest = before.width - x;
    context.drawImage(after, x, 0, rest, before.height, x, 0, rest, before.height);
    context.fillStyle = "#ffffff";
    context.fillRect(x - 1, 0, 2, before.height);
  }
  if (focus) {
    context.strokeStyle = "#ff4f00";
    context.lineWidth = Math.max(2, before.width / 400);
    context.strokeRect(focus.x - focus.side / 2, focus.y - focus.side / 2, focus.side, focus.side);
  }
}

/**
 * Draw a square crop of RGBA pixels, magnified `zoom` times without smoothing.
 *
 * @param {HTMLCanvasElement} canvas - The target; its width is the crop's side on screen.
 * @param {{width: number, height: number, rgba: Uint8ClampedArray}} image - Full size.
 * @param {number} centreX - Crop centre, image pixels.
 * @param {number} centreY - Crop centre, image pixels.
 * @param {number} zoom - 1, 2 or 4.
 * @returns {{left: number, top: number, side: number}} The crop, in image pixels.
 */
export function drawCrop(canvas, image, centreX, centreY, zoom) {
  const side = Math.max(1, Math.floor(canvas.width / zoom));
  const cropWidth = Math.min(side, image.width);
  const cropHeight = Math.min(side, image.height);
  const clamp = (value, high) => Math.min(Math.max(0, Math.round(value)), high);
  const left = clamp(centreX - cropWidth / 2, image.width - cropWidth);
  const top = clamp(centreY - cropHeight / 2, image.height - cropHeight);
  const crop = new ImageData(cropWidth, cropHeight);
  for (let y = 0; y < cropHeight; ++y) {
    const start = ((top + y) * image.width + left) * 4;
    crop.data.set(image.rgba.subarray(start, start + cropWidth * 4), y * cropWidth * 4);
  }
  const scratch = document.createElement("canvas");
  scratch.width = cropWidth;
  scratch.height = cropHeight;
  scratch.getContext("2d").putImageData(crop, 0, 0);
  const context = canvas.getContext("2d");
  context.imageSmoothingEnabled = false;
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.drawImage(scratch, 0, 0, cropWidth * zoom, cropHeight * zoom);
  return { left, top, side };
}

/** Longest side of the overview pictures, in canvas pixels. */
export const PREVIEW_SIDE = 1600;

/**
 * A canvas holding RGBA pixels at full size (for a PNG), or scaled down to fit
 * `maxSide` (for the overview; never scaled up).
 *
 * @param {{width: number, height: number}} size - Full size of the pixels.
 * @param {Uint8ClampedArray} rgba - The pixels.
 * @param {number|null} maxSide - Longest side of the result, or null for full size.
 * @returns {Promise<HTMLCanvasElement>}
 */
export async function pixelsToCanvas(size, rgba, maxSide) {
  const data = new ImageData(rgba, size.width, size.height);
  const canvas = document.createElement("canvas");
  const scale = maxSide ? Math.min(1, maxSide / Math.max(size.width, size.height)) : 1;
  canvas.width = Math.max(1, Math.round(size.width * scale));
  canvas.height = Math.max(1, Math.round(size.height * scale));
  if (scale === 1) {
    canvas.getContext("2d").putImageData(data, 0, 0);
    return canvas;
  }
  const bitmap = await createImageBitmap(data, {
    resizeWidth: canvas.width,
    resizeHeight: canvas.height,
    resizeQuality: "high",
  });
  canvas.getContext("2d").drawImage(bitmap, 0, 0);
  bitmap.close();
  return canvas;
}

/**
 * PNG bytes of RGBA pixels, as a Blob.
 *
 * @param {{width: number, height: number}} size
 * @param {Uint8ClampedArray} rgba
 * @returns {Promise<Blob>}
 */
export async function pngBlob(size, rgba) {
  const canvas = await pixelsToCanvas(size, rgba, null);
  try {
    return await new Promise((resolve, reject) => {
      const done = (blob) => (blob ? resolve(blob) : reject(new Error("PNG encoding failed")));
      canvas.toBlob(done, "image/png");
    });
  } finally {
    canvas.width = canvas.height = 0;
  }
}
