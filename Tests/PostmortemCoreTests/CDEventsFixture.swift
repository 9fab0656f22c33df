/// CDEvents inputs (bare and wrapped in CloudEvents), as CD tools emit them.
enum CDEventsFixture {
    static func cdevent(
        _ type: String, id: String, at minutes: Double, specversion: String = "0.5.0", chainId: String? = nil,
        links: [[String: Any]]? = nil, subject: [String: Any], customData: [String: Any]? = nil
    ) -> [String: Any] {
        var context: [String: Any] = [
            "specversion": specversion, "id": id, "source": "/argo/prod", "type": "dev.cdevents.\(type)",
            "timestamp": Fixture.t(minutes),
        ]
        context["chainId"] = chainId
        context["links"] = links
        var event: [String: Any] = ["context": context, "subject": subject]
        event["customData"] = customData
        return event
    }

    static let artifact = "pkg:oci/checkout@sha256:abc123"
    /// The artifact deployed before ``artifact``: what a rollback of the deploy restores.
    static let previousArtifact = "pkg:oci/checkout@sha256:0ld000"

    static var deployed: [String: Any] {
        cdevent(
            "service.deployed.0.3.0", id: "cd-1", at: 0, chainId: "chain-9",
            subject: ["id": "checkout", "content": ["environment": ["id": "prod"], "artifactId": artifact]],
            customData: ["team": "payments"])
    }

    static let scenario: [String] = [
        Fixture.json(deployed),
        Fixture.json(
            cdevent(
                "testsuiterun.finished.0.3.0", id: "cd-2", at: -5, chainId: "chain-9",
                subject: ["id": "suite-1", "content": ["outcome": "success", "environment": ["id": "ci"]]],
                customData: ["ci": ["testsTotal": 50, "testsFailed": 0]])),
        Fixture.json(
            cdevent(
                "service.rolledback.0.2.0", id: "cd-3", at: 20, specversion: "0.4.1",
                subject: [
                    "id": "checkout", "content": ["environment": ["id": "prod"], "artifactId": previousArtifact],
                ],
                customData: ["mode": "manual", "initiatedBy": "alice"])),
        Fixture.json([
            "specversion": "1.0", "id": "ce-4", "source": "/pagerduty", "type": "dev.cdevents.incident.reported.0.3.0",
            "data": cdevent(
                "incident.reported.0.3.0", id: "cd-4", at: 15,
                links: [["linkType": "RELATION", "linkKind": "CAUSED_BY", "target": ["contextId": "cd-1"]]],
                subject: [
                    "id": "inc-1",
                    "content": [
                        "environment": ["id": "prod"], "ticketURI": "https://tickets.example.com/INC-1",
                        "service": ["id": "checkout"],
                    ],
                ],
                customData: ["severity": "medium"]),
        ]),
    ]

    static let pipelineFailure: [String] = [
        Fixture.json(
            cdevent(
                "service.upgraded.0.3.0", id: "cd-23", at: 0, chainId: "chain-23",
                subject: [
                    "id": "checkout",
                    "content": ["environment": ["id": "prod"], "artifactId": "pkg:oci/checkout@sha256:def"],
                ])),
        Fixture.json(
            cdevent(
                "pipelinerun.finished.0.3.0", id: "cd-24", at: 12, chainId: "chain-23",
                subject: [
                    "id": "run-7",
                    "content": ["pipelineName": "deploy", "outcome": "failure", "errors": "helm upgrade timed out"],
                ])),
    ]
}
