// The one GraphQL client: queries and mutations over HTTP, subscriptions over
// graphql-transport-ws (graphql-ws), the caller's token on both.
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from "urql";
import { createClient as createWsClient } from "graphql-ws";

export function graphqlUrl(): string {
  return `${window.location.origin}/graphql`;
}

export function createGatewayClient(token: string, onUnauthenticated: () => void): Client {
  const ws = createWsClient({
    url: graphqlUrl().replace(/^http/, "ws"),
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: true,
  });
  return new Client({
    url: graphqlUrl(),
    fetchOptions: { headers: { Authorization: `Bearer ${token}` } },
    exchanges: [
      mapExchange({
        onError(error) {
          if (error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) onUnauthenticated();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
