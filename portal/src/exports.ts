// CSV downloads through the door: GET /exports/{service}/{name}.csv with the session's
// token (a link cannot carry it, so the file is fetched and then saved). The gateway
// streams the file from the service; what it holds is what the caller may see.
import { sessionToken } from "./session";

export class DownloadError extends Error {
  constructor(readonly code: string, readonly status: number) {
    super(code);
  }
}

export async function downloadCsv(service: string, name: string, params: Record<string, string>): Promise<void> {
  const token = sessionToken();
  if (!token) throw new DownloadError("UNAUTHENTICATED", 401);
  const query = new URLSearchParams(params).toString();
  const path = `/exports/${encodeURIComponent(service)}/${encodeURIComponent(name)}.csv`;
  const response = await fetch(query ? `${path}?${query}` : path, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { detail?: { code?: string } };
    throw new DownloadError(body.detail?.code ?? "INTERNAL", response.status);
  }
  save(await response.blob(), filenameOf(response.headers.get("content-disposition")) ?? `${name}.csv`);
}

/** The exact name (RFC 8187 `filename*`) when the answer has it, else the plain one. */
export function filenameOf(disposition: string | null): string | null {
  const exact = disposition?.match(/filename\*=UTF-8''([^;]+)/)?.[1];
  if (exact) return decodeURIComponent(exact);
  return disposition?.match(/filename="([^"]+)"/)?.[1] ?? null;
}

export function save(file: Blob, filename: string): void {
  const url = URL.createObjectURL(file);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 0);
}
