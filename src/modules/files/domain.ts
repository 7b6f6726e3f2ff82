/** Upload rules: allowed types by content (magic bytes) AND extension, and a size cap. */

export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

export type AllowedType = "application/pdf" | "image/jpeg" | "image/png";

const EXTENSIONS: Record<AllowedType, string[]> = {
  "application/pdf": ["pdf"],
  "image/jpeg": ["jpg", "jpeg"],
  "image/png": ["png"],
};

/**
 * Files the platform generates rather than receives (CSV and XLSX exports): never accepted as
 * uploads, stored with their own size cap.
 */
export type GeneratedType = "text/csv" | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
export const GENERATED_TYPES: readonly GeneratedType[] = ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"];
export const MAX_GENERATED_BYTES = 256 * 1024 * 1024;

export const TYPE_LABEL: Record<AllowedType, string> = { "application/pdf": "PDF", "image/jpeg": "JPG", "image/png": "PNG" };

/** The type the bytes really are, or null. */
export function sniffType(bytes: Uint8Array): AllowedType | null {
  const b = bytes;
  if (b.length >= 5 && b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46 && b[4] === 0x2d) return "application/pdf"; // %PDF-
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "image/jpeg";
  if (
    b.length >= 8 &&
    b[0] === 0x89 &&
    b[1] === 0x50 &&
    b[2] === 0x4e &&
    b[3] === 0x47 &&
    b[4] === 0x0d &&
    b[5] === 0x0a &&
    b[6] === 0x1a &&
    b[7] === 0x0a
  ) {
    return "image/png";
  }
  return null;
}

export function extensionOf(name: string): string {
  const m = name.toLowerCase().match(/\.([a-z0-9]{1,8})$/);
  return m ? m[1]! : "";
}

/** Keeps a display name safe: no path, no control characters, bounded length. */
export function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base.replace(/[\u0000-\u001f\u007f"<>|*?:]/g, "").trim();
  const chars = [...cleaned];
  return chars.length > 100 ? chars.slice(chars.length - 100).join("") : cleaned || "file";
}

export type UploadCheck = { ok: true; type: AllowedType } | { ok: false; message: string };

export function checkUpload(name: string, bytes: Uint8Array): UploadCheck {
  if (bytes.length === 0) return { ok: false, message: "文件为空，请重新选择" };
  if (bytes.length > MAX_UPLOAD_BYTES) return { ok: false, message: "文件不能超过10MB" };
  const type = sniffType(bytes);
  const ext = extensionOf(name);
  if (!type) return { ok: false, message: "只能上传PDF、JPG或PNG文件" };
  if (!EXTENSIONS[type].includes(ext)) return { ok: false, message: `文件扩展名与内容不符（内容为${TYPE_LABEL[type]}），请检查文件` };
  return { ok: true, type };
}
