// Linked requests on the request page: its parent and children, where a merged request
// went and what was merged into it (each only when the caller may see it: the desks
// service decides), and the desk's actions: split, link, derive the status, merge.
import { useState } from "react";
import { Link } from "react-router-dom";
import { useTranslation } from "react-i18next";
import { useMutation } from "urql";
import { graphql } from "../gql";
import type { RequestViewFragment } from "../gql/graphql";
import { ErrorList, Field, Status } from "../components";

interface Props {
  request: RequestViewFragment;
  onDone(): void;
}

type Linked = { id: string; title: string; status: string };

function RequestLink({ linked }: { linked: Linked }) {
  return (
    <>
      <Link to={`/requests/${linked.id}`}>{linked.title}</Link> <Status value={linked.status} />
    </>
  );
}

/** What the request is linked to; nothing when it is linked to nothing the caller sees. */
export function LinkedRequests({ request }: { request: RequestViewFragment }) {
  const { t } = useTranslation();
  const merged = request.status === "MERGED";
  const any = request.parent || request.children.length || request.mergedRequests.length || merged;
  if (!any) return null;
  return (
    <section aria-labelledby="linked-title">
      <h2 id="linked-title">{t("links.title")}</h2>
      <dl className="facts">
        {request.parent && (
          <>
            <dt>{t("links.parent")}</dt>
            <dd>
              <RequestLink linked={request.parent} />
            </dd>
          </>
        )}
        {merged && (
          <>
            <dt>{t("links.mergedInto")}</dt>
            <dd>{request.mergedInto ? <RequestLink linked={request.mergedInto} /> : t("links.mergedElsewhere")}</dd>
          </>
        )}
      </dl>
      {request.derivesStatusFromChildren && <p>{t("links.derived")}</p>}
      {request.children.length > 0 && (
        <>
          <h3>{t("links.children")}</h3>
          <ul className="children">
            {request.children.map((child) => (
              <li key={child.id}>
                <RequestLink linked={child} />
              </li>
            ))}
          </ul>
        </>
      )}
      {request.mergedRequests.length > 0 && (
        <>
          <h3>{t("links.mergedRequests")}</h3>
          <ul>
            {request.mergedRequests.map((one) => (
              <li key={one.id}>
                <RequestLink linked={one} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

const CreateChild = graphql(`
  mutation CreateChild($id: ID!, $version: Int!, $input: ChildRequestInput!) {
    createChildRequest(id: $id, expectedVersion: $version, input: $input) { id version }
  }
`);
const LinkChild = graphql(`
  mutation LinkChild($id: ID!, $version: Int!, $childId: ID!) {
    linkChildRequest(id: $id, expectedVersion: $version, childId: $childId) { id version }
  }
`);
const UnlinkChild = graphql(`
  mutation UnlinkChild($id: ID!, $version: Int!, $childId: ID!) {
    unlinkChildRequest(id: $id, expectedVersion: $version, childId: $childId) { id version }
  }
`);
const DeriveStatus = graphql(`
  mutation DeriveStatus($id: ID!, $version: Int!, $derived: Boolean!) {
    setStatusDerivedFromChildren(id: $id, expectedVersion: $version, derived: $derived) { id version }
  }
`);
const Merge = graphql(`
  mutation Merge($id: ID!, $version: Int!, $intoId: ID!) {
    mergeRequest(id: $id, expectedVersion: $version, intoId: $intoId) { id version status }
  }
`);

/** The desk's split, link and derive actions (offered while the request may take links). */
export function LinkActions({ request, onDone }: Props) {
  const { t } = useTranslation();
  const [creation, create] = useMutation(CreateChild);
  const [linking, link] = useMutation(LinkChild);
  const [unlinking, unlink] = useMutation(UnlinkChild);
  const [derivation, derive] = useMutation(DeriveStatus);
  const [title, setTitle] = useState("");
  const [childId, setChildId] = useState("");
  const base = { id: request.id, version: request.version };
  const done = (result: { error?: unknown }) => !result.error && onDone();
  return (
    <div className="actions link-actions">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (await create({ ...base, input: { title } }).then((r) => !r.error)) {
            setTitle("");
            onDone();
          }
        }}
      >
        <h3>{t("links.split")}</h3>
        <Field id="child-title" label={t("links.childTitle")}>
          <input id="child-title" value={title} onChange={(e) => setTitle(e.target.value)} />
        </Field>
        <button type="submit" disabled={!title.trim()}>{t("links.addChild")}</button>
      </form>
      <form onSubmit={async (e) => { e.preventDefault(); done(await link({ ...base, childId: childId.trim() })); }}>
        <Field id="child-id" label={t("links.existingChild")}>
          <input id="child-id" value={childId} onChange={(e) => setChildId(e.target.value)} />
        </Field>
        <button type="submit" disabled={!childId.trim()}>{t("links.linkChild")}</button>
      </form>
      {request.children.map((child) => (
        <button key={child.id} type="button" className="secondary" onClick={async () => done(await unlink({ ...base, childId: child.id }))}>
          {t("links.unlink", { title: child.title })}
        </button>
      ))}
      {request.children.length > 0 && (
        <p>
          <button type="button" className="secondary" onClick={async () => done(await derive({ ...base, derived: !request.derivesStatusFromChildren }))}>
            {request.derivesStatusFromChildren ? t("links.deriveOff") : t("links.deriveOn")}
          </button>
        </p>
      )}
      <ErrorList error={creation.error ?? linking.error ?? unlinking.error ?? derivation.error} />
    </div>
  );
}

/** On a flagged overlap: merge this request (the duplicate) into the other one. */
export function MergeButton({ request, into, title, onDone }: Props & { into: string; title: string }) {
  const { t } = useTranslation();
  const [merging, merge] = useMutation(Merge);
  return (
    <>
      <button
        type="button"
        className="secondary"
        onClick={async () => !(await merge({ id: request.id, version: request.version, intoId: into })).error && onDone()}
      >
        {t("links.mergeInto", { title })}
      </button>
      <ErrorList error={merging.error} />
    </>
  );
}
