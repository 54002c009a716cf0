import { PNG } from 'pngjs';

/** A display window in HU, as radiologists name them (centre / width). */
export interface DisplayWindow {
  readonly centre: number;
  readonly width: number;
}

export const LUNG_WINDOW: DisplayWindow = { centre: -600, width: 1500 };
export const MEDIASTINAL_WINDOW: DisplayWindow = { centre: 40, width: 400 };
export const BONE_WINDOW: DisplayWindow = { centre: 500, width: 2000 };

export interface GreyImage {
  readonly rows: number;
  readonly columns: number;
  /** rows * columns HU values, row-major. */
  readonly hu: Float32Array;
}

/**
 * Greyscale PNG of images placed side by side (same height; a narrower one is centred), each shown
 * through the display window, with a 4-pixel black gap between them.
 */
export function renderPng(images: readonly GreyImage[], window: DisplayWindow): Buffer {
  return renderPanels(images.map((image) => ({ image, window })));
}

/** The same, each image through its own window (a difference image beside the HU images, say). */
export function renderPanels(panels: readonly { image: GreyImage; window: DisplayWindow }[]): Buffer {
  const images = panels.map((panel) => panel.image);
  const gap = 4;
  const height = Math.max(...images.map((image) => image.rows));
  const width = images.reduce((sum, image) => sum + image.columns, 0) + gap * (images.length - 1);
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, bitDepth: 8 });
  const grey = Buffer.alloc(width * height);
  let left = 0;
  for (const { image, window } of panels) {
    const low = window.centre - window.width / 2;
    const top = Math.floor((height - image.rows) / 2);
    for (let r = 0; r < image.rows; r++) {
      for (let c = 0; c < image.columns; c++) {
        const level = ((image.hu[r * image.columns + c] - low) / window.width) * 255;
        grey[(top + r) * width + left + c] = level < 0 ? 0 : level > 255 ? 255 : Math.round(level);
      }
    }
    left += image.columns + gap;
  }
  png.data = grey;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}
