// Following a theme, a country or a region: the toggle beside the lessons' filters and
// the list of what one follows (on the notifications preferences page). Following is a
// set on the server (following twice is one follow), so the toggle just says which way.
import { useTranslation } from "react-i18next";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { FollowKind } from "../gql/graphql";
import { ErrorList, Loading } from "../components";

const Follows = graphql(`
  query Follows { follows { kind code } }
`);
const FollowTerm = graphql(`
  mutation FollowTerm($kind: FollowKind!, $code: String!) { follow(kind: $kind, code: $code) { kind code } }
`);
const UnfollowTerm = graphql(`
  mutation UnfollowTerm($kind: FollowKind!, $code: String!) { unfollow(kind: $kind, code: $code) { kind code } }
`);

/** Follow or unfollow one term; an unknown term comes back as the service's error. */
function useFollows() {
  const [follows, refetch] = useQuery({ query: Follows });
  const [followed, follow] = useMutation(FollowTerm);
  const [unfollowed, unfollow] = useMutation(UnfollowTerm);
  const reload = () => refetch({ requestPolicy: "network-only" });
  const terms = follows.data?.follows ?? [];
  return {
    follows,
    terms,
    error: follows.error ?? followed.error ?? unfollowed.error,
    busy: followed.fetching || unfollowed.fetching,
    isFollowed: (kind: FollowKind, code: string) => terms.some((f) => f.kind === kind && f.code === code),
    set: (kind: FollowKind, code: string, on: boolean) => void (on ? follow({ kind, code }) : unfollow({ kind, code })).then(reload),
  };
}

export function FollowToggle({ kind, code }: { kind: FollowKind; code: string }) {
  const { t } = useTranslation();
  const follows = useFollows();
  const term = code.trim();
  if (!term) return null;
  const on = follows.isFollowed(kind, term);
  return (
    <span className="follow">
      <button type="button" aria-pressed={on} disabled={follows.busy} onClick={() => follows.set(kind, term, !on)}>
        {on ? t("lessons.following") : t("lessons.follow")} {term}
      </button>
      <ErrorList error={follows.error} />
    </span>
  );
}

export function FollowList() {
  const { t } = useTranslation();
  const follows = useFollows();
  return (
    <section aria-labelledby="follows-heading">
      <h2 id="follows-heading">{t("notifications.follows")}</h2>
      <Loading busy={follows.follows.fetching} />
      <ErrorList error={follows.error} />
      {follows.follows.data && follows.terms.length === 0 && <p>{t("notifications.noFollows")}</p>}
      <ul>
        {follows.terms.map((f) => (
          <li key={`${f.kind}:${f.code}`}>
            {t(`notifications.followKind.${f.kind}`)} {f.code}{" "}
            <button type="button" disabled={follows.busy} onClick={() => follows.set(f.kind, f.code, false)}>
              {t("notifications.unfollow")}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
