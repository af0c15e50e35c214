// Decode the reader's image file into 8-bit RGBA pixels, in the browser only.

/** Smallest side the page denoises: a denoiser needs neighbours to tell noise from detail. */
export const MIN_SIDE = 8;

/** Largest image the page accepts, in pixels (two 8-bit RGBA copies: 800 MB). */
export const MAX_PIXELS = 100e6;

/** An image the page cannot use, with a message for the reader. */
export class ImageError extends Error {
  constructor(message) {
    super(message);
    this.name = "ImageError";
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Bit depth and colour type from a PNG file's IHDR chunk, or null if not a PNG.
 *
 * @param {Uint8Array} head - The first bytes of the file (at least 26).
 * @returns {{bitDepth: number, colorType: number} | null}
 */
export function pngHeader(head) {
  if (head.length < 26 || PNG_SIGNATURE.some((byte, i) => head[i] !== byte)) return null;
  const chunk = String.fromCharCode(head[12], head[13], head[14], head[15]);
  if (chunk !== "IHDR") return null;
  return { bitDepth: head[24], colorType: head[25] };
}

/** True when every pixel of the RGBA samples has red = green = blue. */
export function isGray(rgba) {
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false;
  }
  return true;
}

/**
 * Decode an image file (or Blob) into RGBA pixels, as the browser decodes it.
 *
 * Colour profiles are not applied (colorSpaceConversion "none"), as the command line
 * reads the stored samples too. Browsers decode 16-bit PNGs to 8 bits per sample; the
 * notes say so. An alpha channel is dropped, as in `deepdenoise denoise`.
 *
 * @param {Blob} file - The file.
 * @param {string} name - The file's name, for messages.
 * @returns {Promise<{width: number, height: number, rgba: Uint8ClampedArray,
 *   channels: number, notes: string[]}>} channels is 1 when red = green = blue everywhere.
 * @throws {ImageError} When the file is not a decodable image or is too small or large.
 */
export async function decodeImage(file, name) {
  const head = new Uint8Array(await file.slice(0, 32).arrayBuffer());
  const png = pngHeader(head);
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, {
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    });
  } catch {
    throw new ImageError(
      `${name} is not an image this browser can decode. Choose a PNG, JPEG, WebP, GIF ` +
        "or BMP file.",
    );
  }
  const { width, height } = bitmap;
  if (width < MIN_SIDE || height < MIN_SIDE) {
    bitmap.close();
    throw new ImageError(
      `${name} is ${width} x ${height} pixels: too small to denoise. The page needs at ` +
        `least ${MIN_SIDE} x ${MIN_SIDE} pixels, since a denoiser tells noise from detail ` +
        "by looking at neighbouring pixels.",
    );
  }
  if (width * height > MAX_PIXELS) {
    bitmap.close();
    throw new ImageError(
      `${name} is ${width} x ${height} pixels (${((width * height) / 1e6).toFixed(0)} ` +
        `megapixels); the page takes up to ${MAX_PIXELS / 1e6} megapixels. Use ` +
        "`deepdenoise denoise` on the command line for larger images.",
    );
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, width, height).data;
  canvas.width = canvas.height = 0; // free the canvas's copy now
  bitmap.close();
  const notes = [];
  if (png && png.bitDepth === 16) {
    notes.push(
      "This PNG has 16 bits per sample; the browser decodes it to 8 bits, so it was " +
        "denoised and is saved with 8 bits. `deepdenoise denoise` keeps all 16 bits.",
    );
  }
  let alpha = false;
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i] !== 255) {
      alpha = true;
      rgba[i] = 255;
    }
  }
  if (alpha) notes.push("The transparency (alpha channel) was dropped.");
  return { width, height, rgba, channels: isGray(rgba) ? 1 : 3, notes };
}

