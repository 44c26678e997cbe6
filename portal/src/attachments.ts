// Files through the door: upload to a request (POST /requests/{id}/attachments, a
// multipart form, with progress) and download (GET /attachments/{id}) with the session's
// token; a link cannot carry it, so a download is fetched and then saved.
import { DownloadError, filenameOf, save } from "./exports";
import { sessionToken } from "./session";

function codeOf(text: string): string {
  try {
    const body = JSON.parse(text) as { detail?: { code?: string }; errors?: { extensions?: { code?: string } }[] };
    return body.detail?.code ?? body.errors?.[0]?.extensions?.code ?? "INTERNAL";
  } catch {
    return "INTERNAL";
  }
}

/** Sends the file; `onProgress` hears the share sent (0 to 1). Rejects with the door's code. */
export function uploadAttachment(requestId: string, file: File, internal: boolean, onProgress: (share: number) => void): Promise<void> {
  const token = sessionToken();
  if (!token) return Promise.reject(new DownloadError("UNAUTHENTICATED", 401));
  const form = new FormData();
  form.append("file", file, file.name);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/requests/${encodeURIComponent(requestId)}/attachments?internal=${internal}`);
    request.setRequestHeader("Authorization", `Bearer ${token}`);
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    request.onload = () =>
      request.status === 201 ? resolve() : reject(new DownloadError(codeOf(request.responseText), request.status));
    request.onerror = () => reject(new DownloadError("NETWORK", 0));
    request.send(form);
  });
}

export async function downloadAttachment(url: string, name: string): Promise<void> {
  const token = sessionToken();
  if (!token) throw new DownloadError("UNAUTHENTICATED", 401);
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw new DownloadError(codeOf(await response.text()), response.status);
  save(await response.blob(), filenameOf(response.headers.get("content-disposition")) ?? name);
}
