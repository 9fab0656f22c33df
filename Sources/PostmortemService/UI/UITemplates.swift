import Mustache

/// The UI's Mustache templates, compiled into the binary (the release image carries no files
/// besides it). Every `{{name}}` is HTML-escaped; the only unescaped output, `{{{svg}}}`, is a
/// chart drawn by PostmortemCore's chart library, which escapes its own text.
enum UITemplates {
    /// The library of every page, parsed once at start; a template that does not parse is a
    /// programming error caught by the first test that renders a page.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in templates {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("UI template \(name) does not parse: \(error)")
            }
        }
        return library
    }()

    /// Renders `context` with the template `name`.
    static func render(_ context: Any, _ name: String) -> String {
        guard let html = library.render(context, withTemplate: name) else {
            preconditionFailure("no UI template \(name)")
        }
        return html
    }

    static let templates: [String: String] = [
        "layout": layout, "login": login, "postmortems": postmortems, "postmortem": postmortem,
        "action-items": actionItems, "insights": insights, "error": error,
    ]

    /// Every page: header with navigation and the signed-in user, the page's `main` block.
    /// Colours meet WCAG AA contrast (text #1a1a1a on white, links #0b57d0, muted #505050).
    static let layout = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{$title}}deploy-postmortem{{/title}} · deploy-postmortem</title>
        <style>
        :root { color-scheme: light; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #1a1a1a; background: #fff; }
        header { background: #1f2937; color: #fff; padding: .6rem 1.5rem; display: flex; gap: 1.2rem; align-items: center; flex-wrap: wrap; }
        header a { color: #fff; text-decoration: none; font-weight: 600; }
        header a:hover, header a:focus { text-decoration: underline; }
        header .brand { font-size: 1.1rem; margin-right: 1rem; }
        header .user { margin-left: auto; color: #e5e7eb; }
        header form { display: inline; }
        header button { background: transparent; color: #fff; border: 1px solid #9ca3af; border-radius: 4px; padding: .15rem .6rem; cursor: pointer; font: inherit; }
        main { padding: 1rem 1.5rem 2rem; max-width: 1200px; }
        h1 { font-size: 1.5rem; margin: .4rem 0 1rem; }
        h2 { font-size: 1.2rem; margin: 1.6rem 0 .6rem; border-bottom: 1px solid #d1d5db; padding-bottom: .2rem; }
        a { color: #0b57d0; }
        table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
        th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
        th { background: #f3f4f6; font-weight: 600; }
        tbody tr:nth-child(even) { background: #fafafa; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .muted { color: #505050; }
        .filters { display: flex; gap: .8rem; flex-wrap: wrap; align-items: end; background: #f3f4f6; padding: .7rem .9rem; border-radius: 6px; }
        .filters label { display: flex; flex-direction: column; font-size: .85rem; font-weight: 600; }
        .filters input, .filters select { font: inherit; padding: .25rem .4rem; border: 1px solid #6b7280; border-radius: 4px; }
        .filters button, .login button { font: inherit; padding: .3rem 1rem; background: #0b57d0; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
        .badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; font-weight: 600; border: 1px solid; white-space: nowrap; }
        .sev-sev1, .sev-sev2, .overdue { color: #8b0000; border-color: #8b0000; background: #fdecec; }
        .sev-sev3 { color: #7a4a00; border-color: #7a4a00; background: #fff4e0; }
        .sev-sev4, .sev-sev5 { color: #374151; border-color: #374151; background: #f3f4f6; }
        .st-open, .st-in_progress { color: #0b4a9e; border-color: #0b4a9e; background: #e8f0fe; }
        .st-closed, .st-done, .st-cancelled { color: #1e5e2a; border-color: #1e5e2a; background: #e6f4ea; }
        .st-withdrawn { color: #4a4a4a; border-color: #4a4a4a; background: #eeeeee; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.2rem; margin: 0 0 1rem; }
        dl.facts dt { font-weight: 600; }
        dl.facts dd { margin: 0; }
        figure { margin: 0 0 1.4rem; }
        figure svg { max-width: 100%; height: auto; border: 1px solid #e5e7eb; }
        figcaption { font-size: .9rem; color: #505050; }
        .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: .8rem; }
        .tile { border: 1px solid #d1d5db; border-radius: 6px; padding: .6rem .8rem; }
        .tile .value { font-size: 1.4rem; font-weight: 700; }
        .pager { margin-top: .6rem; }
        .login { max-width: 24rem; margin: 3rem auto; border: 1px solid #d1d5db; border-radius: 8px; padding: 1.2rem 1.5rem; }
        .login label { display: block; font-weight: 600; margin-bottom: .3rem; }
        .login input { width: 100%; box-sizing: border-box; font: inherit; padding: .35rem .5rem; border: 1px solid #6b7280; border-radius: 4px; margin-bottom: .8rem; }
        .error { color: #8b0000; background: #fdecec; border: 1px solid #8b0000; border-radius: 4px; padding: .4rem .7rem; }
        footer { padding: 1rem 1.5rem; color: #505050; font-size: .85rem; border-top: 1px solid #e5e7eb; }
        </style>
        </head>
        <body>
        <header>
        <a class="brand" href="/ui/postmortems">deploy-postmortem</a>
        {{#user}}
        <nav aria-label="Pages"><a href="/ui/postmortems">Postmortems</a> · <a href="/ui/action-items">Action items</a> · <a href="/ui/insights">Insights</a></nav>
        <span class="user">{{name}} ({{scope}})</span>
        {{#canLogOut}}<form method="post" action="/ui/logout"><button type="submit">Log out</button></form>{{/canLogOut}}
        {{/user}}
        </header>
        <main>
        {{$main}}{{/main}}
        </main>
        <footer>Read-only: action items are changed through the API (<code>PATCH /v1/action-items/{id}</code>) with a write token.</footer>
        </body>
        </html>
        """

    static let login = """
        {{<layout}}{{$title}}Log in{{/title}}{{$main}}
        <form class="login" method="post" action="/ui/login">
        <h1>Log in</h1>
        {{#message}}<p class="error" role="alert">{{message}}</p>{{/message}}
        <label for="token">API token (read scope is enough)</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
        <button type="submit">Log in</button>
        <p class="muted">The token is checked and forgotten: the browser keeps only a signed session cookie.</p>
        </form>
        {{/main}}{{/layout}}
        """

    static let postmortems = """
        {{<layout}}{{$title}}Postmortems{{/title}}{{$main}}
        <h1>Postmortems</h1>
        <form class="filters" method="get" action="/ui/postmortems" role="search">
        <label>Service <input name="service" value="{{filter.service}}"></label>
        <label>Environment <input name="environment" value="{{filter.environment}}"></label>
        <label>Status <select name="status">{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select></label>
        <label>Opened since <input name="since" type="date" value="{{filter.since}}"></label>
        <button type="submit">Filter</button>
        </form>
        {{#empty(rows)}}<p>No postmortem matches.</p>{{/empty(rows)}}
        {{^empty(rows)}}
        <table>
        <thead><tr><th scope="col">Opened (UTC)</th><th scope="col">Service</th><th scope="col">Environment</th><th scope="col">Deploy</th><th scope="col">Severity</th><th scope="col">Status</th><th scope="col" class="num">Open items</th><th scope="col">Triggers</th></tr></thead>
        <tbody>
        {{#rows}}<tr><td>{{openedAt}}</td><td>{{service}}</td><td>{{environment}}</td><td><a href="/ui/postmortems/{{id}}">{{deployId}}</a></td><td><span class="badge sev-{{severity}}">{{severity}}</span></td><td><span class="badge st-{{status}}">{{status}}</span></td><td class="num">{{openActionItems}} / {{totalActionItems}}</td><td>{{triggers}}</td></tr>
        {{/rows}}
        </tbody>
        </table>
        {{/empty(rows)}}
        {{#next}}<p class="pager"><a rel="next" href="{{next}}">Next page →</a></p>{{/next}}
        {{/main}}{{/layout}}
        """

    static let postmortem = """
        {{<layout}}{{$title}}{{service}} in {{environment}}: postmortem{{/title}}{{$main}}
        <p><a href="/ui/postmortems">← Postmortems</a></p>
        <h1>{{service}} in {{environment}} <span class="badge sev-{{severity}}">{{severity}}</span> <span class="badge st-{{status}}">{{status}}</span></h1>
        <p>{{impactStatement}}</p>
        <dl class="facts">
        {{#facts}}<dt>{{label}}</dt><dd>{{value}}</dd>
        {{/facts}}
        </dl>
        {{#pendingMetrics}}<p class="error">Metrics pending: {{pendingMetrics}} — their source has not answered yet; this postmortem is updated when they arrive.</p>{{/pendingMetrics}}
        <h2>Contributing metrics</h2>
        {{#empty(charts)}}<p>No metric degraded beyond its baseline.</p>{{/empty(charts)}}
        {{#charts}}
        <figure>
        {{{svg}}}
        <figcaption>{{caption}}</figcaption>
        </figure>
        {{/charts}}
        {{^empty(metrics)}}
        <table>
        <caption class="muted">The charts' figures</caption>
        <thead><tr><th scope="col">Metric</th><th scope="col" class="num">Baseline</th><th scope="col" class="num">Limit</th><th scope="col" class="num">Peak</th><th scope="col">Onset (UTC)</th><th scope="col" class="num">Breach</th><th scope="col">SLO breached</th></tr></thead>
        <tbody>
        {{#metrics}}<tr><td>{{metric}}</td><td class="num">{{baseline}}</td><td class="num">{{limit}}</td><td class="num">{{peak}}</td><td>{{onset}}</td><td class="num">{{breach}}</td><td>{{slo}}</td></tr>
        {{/metrics}}
        </tbody>
        </table>
        {{/empty(metrics)}}
        <h2>Gate findings</h2>
        {{#empty(findings)}}<p>No gap found.</p>{{/empty(findings)}}
        {{^empty(findings)}}
        <table>
        <thead><tr><th scope="col">Gate</th><th scope="col">Finding</th><th scope="col">What happened</th><th scope="col">Fix</th><th scope="col">Evidence</th></tr></thead>
        <tbody>
        {{#findings}}<tr><td>{{area}}</td><td>{{kind}}</td><td>{{summary}}</td><td>{{fix}}</td><td>{{#evidence}}<div><span class="muted">{{name}}:</span> {{value}}</div>{{/evidence}}</td></tr>
        {{/findings}}
        </tbody>
        </table>
        {{/empty(findings)}}
        <h2>What went well</h2>
        {{#empty(wentWell)}}<p>Nothing to keep: no gate caught the change and no rollback came within the detection target.</p>{{/empty(wentWell)}}
        <ul>{{#wentWell}}<li>{{.}}</li>{{/wentWell}}</ul>
        <h2>Action items</h2>
        {{#empty(actionItems)}}<p>None.</p>{{/empty(actionItems)}}
        {{^empty(actionItems)}}
        <table>
        <thead><tr><th scope="col">Title</th><th scope="col">Gate</th><th scope="col">Owner</th><th scope="col">Due (UTC)</th><th scope="col">Status</th></tr></thead>
        <tbody>
        {{#actionItems}}<tr><td>{{title}}{{#proposal}}<div class="muted">{{proposal}}</div>{{/proposal}}</td><td>{{gate}}</td><td>{{owner}}</td><td>{{dueAt}}</td><td><span class="badge st-{{status}}">{{status}}</span>{{#overdue}} <span class="badge overdue">overdue</span>{{/overdue}}</td></tr>
        {{/actionItems}}
        </tbody>
        </table>
        {{/empty(actionItems)}}
        <h2>Timeline</h2>
        <table>
        <thead><tr><th scope="col">Time (UTC)</th><th scope="col">What happened</th></tr></thead>
        <tbody>
        {{#timeline}}<tr><td>{{at}}</td><td>{{text}}</td></tr>
        {{/timeline}}
        </tbody>
        </table>
        {{/main}}{{/layout}}
        """

    static let actionItems = """
        {{<layout}}{{$title}}Action items{{/title}}{{$main}}
        <h1>Action items</h1>
        <form class="filters" method="get" action="/ui/action-items" role="search">
        <label>Owner <input name="owner" value="{{filter.owner}}"></label>
        <label>Status <select name="status">{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select></label>
        <label>Overdue <select name="overdue">{{#overdueChoices}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/overdueChoices}}</select></label>
        <button type="submit">Filter</button>
        </form>
        {{#empty(rows)}}<p>No action item matches.</p>{{/empty(rows)}}
        {{^empty(rows)}}
        <table>
        <thead><tr><th scope="col">Due (UTC)</th><th scope="col">Title</th><th scope="col">Owner</th><th scope="col">Gate</th><th scope="col">Status</th><th scope="col">Postmortem</th></tr></thead>
        <tbody>
        {{#rows}}<tr><td>{{dueAt}}</td><td>{{title}}</td><td>{{owner}}</td><td>{{gate}}</td><td><span class="badge st-{{status}}">{{status}}</span>{{#overdue}} <span class="badge overdue">overdue</span>{{/overdue}}</td><td><a href="/ui/postmortems/{{postmortemId}}">{{deployId}}</a></td></tr>
        {{/rows}}
        </tbody>
        </table>
        {{/empty(rows)}}
        {{#next}}<p class="pager"><a rel="next" href="{{next}}">Next page →</a></p>{{/next}}
        {{/main}}{{/layout}}
        """

    static let insights = """
        {{<layout}}{{$title}}Insights{{/title}}{{$main}}
        <h1>Insights</h1>
        <form class="filters" method="get" action="/ui/insights" role="search">
        <label>Service <input name="service" value="{{filter.service}}"></label>
        <label>Environment <input name="environment" value="{{filter.environment}}"></label>
        <label>Team <input name="team" value="{{filter.team}}"></label>
        <button type="submit">Filter</button>
        </form>
        <p class="muted">{{window}}</p>
        <div class="tiles">
        {{#tiles}}<div class="tile"><div>{{label}}</div><div class="value">{{value}}</div><div class="muted">{{detail}}</div></div>
        {{/tiles}}
        </div>
        <h2>Weekly trends</h2>
        {{#charts}}
        <figure>
        {{{svg}}}
        <figcaption>{{caption}}</figcaption>
        </figure>
        {{/charts}}
        <table>
        <caption class="muted">The trend charts' figures, by ISO week</caption>
        <thead><tr><th scope="col">Week</th><th scope="col" class="num">Deploys</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Change failure rate</th><th scope="col" class="num">Rework</th><th scope="col" class="num">Recovery p50</th><th scope="col" class="num">Recovery p90</th></tr></thead>
        <tbody>
        {{#weeks}}<tr><td>{{week}}</td><td class="num">{{deploys}}</td><td class="num">{{failed}}</td><td class="num">{{changeFailureRate}}</td><td class="num">{{rework}}</td><td class="num">{{recoveryP50}}</td><td class="num">{{recoveryP90}}</td></tr>
        {{/weeks}}
        </tbody>
        </table>
        <h2>Gate-gap ledger</h2>
        <p class="muted">Gaps that at least two postmortems of the window found.</p>
        {{#empty(gaps)}}<p>No gap was found twice.</p>{{/empty(gaps)}}
        {{^empty(gaps)}}
        <table>
        <thead><tr><th scope="col">Service</th><th scope="col">Gate</th><th scope="col">Gap</th><th scope="col">Metric</th><th scope="col" class="num">Postmortems</th><th scope="col">Summary</th></tr></thead>
        <tbody>
        {{#gaps}}<tr><td>{{service}}</td><td>{{gate}}</td><td>{{kind}}</td><td>{{metric}}</td><td class="num">{{count}}</td><td>{{summary}}</td></tr>
        {{/gaps}}
        </tbody>
        </table>
        {{/empty(gaps)}}
        {{/main}}{{/layout}}
        """

    static let error = """
        {{<layout}}{{$title}}{{heading}}{{/title}}{{$main}}
        <h1>{{heading}}</h1>
        <p class="error" role="alert">{{message}}</p>
        <p><a href="/ui/postmortems">Back to the postmortems</a></p>
        {{/main}}{{/layout}}
        """
}
