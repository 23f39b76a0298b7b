import { useState } from "preact/hooks";
import { api, ApiError, type Attachment, type AttachmentRequest, type Incident } from "../../api";
import { attachmentContentTypeValues } from "../../api/openapi.gen";
import { fmtInstant, fmtSize, t } from "../../i18n";
import { ErrorAlert, Field, Loading, Notice, useAction, useLoad } from "../../ui";

const MAX_BYTES = 52_428_800;
const contentTypeOf = (file: File): AttachmentRequest["content_type"] =>
  attachmentContentTypeValues.find((x) => x === file.type) ?? "application/octet-stream";

export function Attachments(props: { incident: Incident; canUpload: boolean; onChange: () => void }) {
  const id = props.incident.incident_id;
  const list = useLoad(() => api.attachments(id), [id]);
  const action = useAction();
  const [status, setStatus] = useState<string | null>(null);
  const [inputKey, setInputKey] = useState(0);

  const upload = (file: File) =>
    void action.run(async () => {
      if (file.size > MAX_BYTES) throw new Error(t("inc.fileTooLarge"));
      if (file.size === 0) throw new Error(t("inc.fileEmpty"));
      setStatus(t("inc.uploading", { name: file.name }));
      const contentType = contentTypeOf(file);
      const ticket = await api.startUpload(id, { file_name: file.name, content_type: contentType, size_bytes: file.size });
      // Send the headers the URL signs (the browser sets Content-Length and Host itself); an
      // unsigned extra (a tracing header the SDK may add) would only trip the bucket's CORS rule.
      const signed = new URL(ticket.upload_url).searchParams.get("X-Amz-SignedHeaders")?.toLowerCase().split(";") ?? null;
      const headers = new Headers();
      for (const [k, v] of Object.entries(ticket.upload_headers)) {
        const name = k.toLowerCase();
        if (name === "content-length" || name === "host") continue;
        if (signed && !signed.includes(name)) continue;
        headers.set(k, v);
      }
      if (!headers.has("Content-Type")) headers.set("Content-Type", contentType);
      let put: Response;
      try {
        put = await fetch(ticket.upload_url, { method: ticket.upload_method, headers, body: file });
      } catch {
        throw new ApiError(0, "network", null, null);
      }
      if (!put.ok) throw new ApiError(put.status, put.status === 503 ? "service_unavailable" : "http", null, null);
      await api.completeUpload(id, ticket.attachment_id);
      setStatus(t("inc.uploaded", { name: file.name }));
      setInputKey((k) => k + 1);
      list.reload();
      props.onChange();
    });

  const items: Attachment[] = list.data ?? [];
  const err = action.error instanceof Error && !(action.error instanceof ApiError) ? null : action.error;
  return (
    <section aria-labelledby="att-h" class="card">
      <h2 id="att-h">{t("inc.attachments")}</h2>
      {list.loading && !list.data && <Loading />}
      {list.error !== null && !(list.error instanceof ApiError && list.error.code === "not_found") && (
        <ErrorAlert error={list.error} onRetry={list.reload} />
      )}
      {list.error instanceof ApiError && list.error.code === "not_found" && <p class="muted">{t("inc.attachmentsUnavailable")}</p>}
      {list.data && items.length === 0 && <p class="muted">{t("inc.noAttachments")}</p>}
      {items.length > 0 && (
        <ul class="attachments">
          {items.map((a) => (
            <li key={a.attachment_id}>
              {a.download_url ? (
                <a href={a.download_url} download={a.file_name}>
                  {a.file_name}
                </a>
              ) : (
                <span>
                  {a.file_name} <span class="muted">({t("inc.pendingUpload")})</span>
                </span>
              )}{" "}
              <span class="muted">
                · {fmtSize(a.size_bytes)} · {fmtInstant(a.created_at)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {props.canUpload && (
        <Field
          label={t("inc.attachFile")}
          type="file"
          hint={t("inc.attachHint")}
          disabled={action.busy}
          key={inputKey}
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) upload(file);
          }}
        />
      )}
      {action.error instanceof Error && !(action.error instanceof ApiError) && (
        <p role="alert" class="alert">
          {action.error.message}
        </p>
      )}
      <ErrorAlert error={err} focus />
      {status && !action.error && (
        <Notice key={status} focus>
          {status}
        </Notice>
      )}
    </section>
  );
}

