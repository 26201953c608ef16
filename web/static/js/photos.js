// Photos from the camera: resized on the phone to at most 1600 px JPEG before they are
// kept, named by the SHA-256 of the resized bytes, with time and position from the phone
// (re-encoding drops EXIF, so the phone's own clock and GPS stand in for it).

import { isoWithOffset } from "./records.js";

export const MAX_SIDE = 1600;
export const JPEG_QUALITY = 0.85;

/** Lowercase hex SHA-256 of a Blob's bytes. */
export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The size that fits `width` × `height` within `maxSide`, never enlarged. */
export function fitWithin(width, height, maxSide = MAX_SIDE) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

async function encodeJpeg(bitmap, width, height) {
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(width, height);
    draw(canvas.getContext("2d"), bitmap, width, height);
    return canvas.convertToBlob({ type: "image/jpeg", quality: JPEG_QUALITY });
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  draw(canvas.getContext("2d"), bitmap, width, height);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("toBlob failed"))), "image/jpeg", JPEG_QUALITY));
}

function draw(ctx, bitmap, width, height) {
  ctx.fillStyle = "#fff"; // JPEG has no transparency: a transparent PNG lands on white, not black
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(bitmap, 0, 0, width, height);
}

/**
 * A camera file made ready to keep: {sha256, blob, type, size, taken_at, lat, lon, width, height}
 * (the shape outbox.enqueue takes, plus the size for the page).
 * @param {File|Blob} file
 * @param {{lat: number, lon: number}|null} position the phone's position now, if known
 */
export async function preparePhoto(file, position) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    const { width, height } = fitWithin(bitmap.width, bitmap.height);
    const blob = await encodeJpeg(bitmap, width, height);
    return {
      sha256: await sha256Hex(blob),
      blob,
      type: "image/jpeg",
      size: blob.size,
      taken_at: isoWithOffset(new Date()),
      lat: position ? position.lat : null,
      lon: position ? position.lon : null,
      width,
      height,
    };
  } finally {
    bitmap.close();
  }
}

/**
 * The photos of one camera button (a `.photos` block: file input + thumbnail list).
 * `onChange()` is called after a photo is added or removed; `getPosition()` gives the
 * phone's position for a new photo; `words` the page's words (photo, removePhoto, photoFailed).
 */
export class PhotoList {
  constructor(block, { getPosition, onChange, onError, words }) {
    this.block = block;
    this.items = [];
    this.list = block.querySelector(".thumbs");
    this.getPosition = getPosition;
    this.onChange = onChange || (() => {});
    this.onError = onError || (() => {});
    this.words = words;
    const input = block.querySelector("input[type=file]");
    input.addEventListener("change", async () => {
      const files = Array.from(input.files || []);
      input.value = ""; // the same picture may be chosen again later
      for (const file of files) {
        try {
          this.add(await preparePhoto(file, this.getPosition()));
        } catch (error) {
          this.onError(`${this.words.photoFailed} (${file.name || "?"})`, error);
        }
      }
    });
  }

  /** Adds a prepared photo (or one kept from an outbox entry: {sha256, blob}); duplicates are ignored. */
  add(photo) {
    if (this.items.some((p) => p.sha256 === photo.sha256)) return;
    const url = photo.blob ? URL.createObjectURL(photo.blob) : null;
    const item = { ...photo, url };
    this.items.push(item);
    const li = document.createElement("li");
    li.dataset.sha256 = photo.sha256;
    if (url) {
      const img = document.createElement("img");
      img.src = url;
      img.alt = `${this.words.photo} ${this.items.length}`;
      img.width = 96;
      img.height = 96;
      li.append(img);
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "thumb-remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", `${this.words.removePhoto} ${this.items.length}`);
    remove.addEventListener("click", () => this.remove(photo.sha256));
    li.append(remove);
    this.list.append(li);
    this.onChange();
  }

  remove(sha256) {
    const item = this.items.find((p) => p.sha256 === sha256);
    if (!item) return;
    if (item.url) URL.revokeObjectURL(item.url);
    this.items = this.items.filter((p) => p !== item);
    this.list.querySelector(`li[data-sha256="${sha256}"]`)?.remove();
    this.onChange();
  }

  /** Forgets every photo (the block is being removed). */
  clear() {
    for (const item of this.items) if (item.url) URL.revokeObjectURL(item.url);
    this.items = [];
  }
}
