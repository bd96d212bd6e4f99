/* GraphiQL for the PathRank API, entirely from this server: the vendored React, GraphiQL and
 * explorer plugin (graphql_api/static/vendor/graphiql/). Queries go to /graphql on this
 * origin; subscriptions (`atRisk`) to ws(s)://this origin/graphql (GraphiQL
 * opens that socket only when a subscription is run). */
(function () {
  "use strict";

  const endpoint = new URL("/graphql", window.location.href);
  const socket = new URL(endpoint);
  socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  const EXAMPLE = `# Customer PathRank API. Ctrl-Enter (or the run button) runs the query;
# Ctrl-Space completes; the Docs and Explorer panes on the left list every field.
{
  pathStats { completed resolved abandoned open selfServiceRate meanLength }
  weakPages(limit: 5) { page { id title } impact reasons }
}
`;

  // ?q=... opens with that query: a link can share one (Strawberry's parameter name; the
  // `query` parameter itself would run the query over GET instead of opening GraphiQL).
  const shared = new URLSearchParams(window.location.search).get("q");

  const fetcher = GraphiQL.createFetcher({
    url: endpoint.toString(),
    subscriptionUrl: socket.toString(),
  });

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: EXAMPLE,
      query: shared || undefined,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      inputValueDeprecation: true,
    }),
  );
})();
