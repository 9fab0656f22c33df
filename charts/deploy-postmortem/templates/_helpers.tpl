{{/* Chart name, truncated to the DNS label limit. */}}
{{- define "deploy-postmortem.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: <release>-<chart> unless the release already contains it. */}}
{{- define "deploy-postmortem.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "deploy-postmortem.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: name + instance (every pod of the release). */}}
{{- define "deploy-postmortem.selectorLabels" -}}
app.kubernetes.io/name: {{ include "deploy-postmortem.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of the serving pods (excludes the migration Job's pod). */}}
{{- define "deploy-postmortem.serverSelectorLabels" -}}
{{ include "deploy-postmortem.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "deploy-postmortem.labels" -}}
helm.sh/chart: {{ include "deploy-postmortem.chart" . }}
{{ include "deploy-postmortem.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: deploy-postmortem
{{- end }}

{{- define "deploy-postmortem.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "deploy-postmortem.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "deploy-postmortem.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "deploy-postmortem.configMapName" -}}
{{ include "deploy-postmortem.fullname" . }}-config
{{- end }}

{{- define "deploy-postmortem.databaseSecretName" -}}
{{ .Values.database.existingSecret | default (printf "%s-database" (include "deploy-postmortem.fullname" .)) }}
{{- end }}

{{- define "deploy-postmortem.apiTokensSecretName" -}}
{{ .Values.apiTokens.existingSecret | default (printf "%s-api-tokens" (include "deploy-postmortem.fullname" .)) }}
{{- end }}

{{- define "deploy-postmortem.ownershipConfigMapName" -}}
{{ .Values.ownershipMap.existingConfigMap | default (printf "%s-ownership" (include "deploy-postmortem.fullname" .)) }}
{{- end }}

{{- define "deploy-postmortem.ownershipEnabled" -}}
{{- if or .Values.ownershipMap.content .Values.ownershipMap.existingConfigMap }}true{{ end }}
{{- end }}

{{/* Where secret and config files are mounted inside the container. */}}
{{- define "deploy-postmortem.secretsDir" -}}/var/run/secrets/deploy-postmortem{{- end }}

{{/* Validation of value combinations the schema cannot express clearly. */}}
{{- define "deploy-postmortem.validate" -}}
{{- if and .Values.autoscaling.hpa.enabled .Values.autoscaling.keda.enabled }}
{{- fail "autoscaling.hpa.enabled and autoscaling.keda.enabled are mutually exclusive: KEDA manages its own HorizontalPodAutoscaler" }}
{{- end }}
{{- if and (hasPrefix "SASL" .Values.kafka.securityProtocol) (not .Values.kafka.sasl.mechanism) }}
{{- fail "kafka.securityProtocol SASL_* needs kafka.sasl.mechanism" }}
{{- end }}
{{- if and .Values.kafka.sasl.mechanism (not .Values.kafka.sasl.existingSecret) }}
{{- fail "kafka.sasl.mechanism needs kafka.sasl.existingSecret (username and password)" }}
{{- end }}
{{- if and (or .Values.kafka.tls.certificateKey .Values.kafka.tls.keyKey) (not .Values.kafka.tls.existingSecret) }}
{{- fail "kafka.tls.certificateKey/keyKey need kafka.tls.existingSecret" }}
{{- end }}
{{- if and (eq .Values.database.urlFrom "none") (not .Values.envFromSecrets) }}
{{- fail "database.urlFrom none needs envFromSecrets (a Secret with DATABASE_URL)" }}
{{- end }}
{{- /* JSON Schema cannot compare two values. */}}
{{- with .Values.config.retention }}
{{- /* 0 is forever: longer than any number of days. */}}
{{- if and (gt (int .metricSamplesDays) 0) (or (eq (int .deployEventsDays) 0) (lt (int .metricSamplesDays) (int .deployEventsDays))) }}
{{- fail (printf "config.retention.metricSamplesDays (%v) must not be shorter than deployEventsDays (%v): a postmortem opened late for a deploy whose events are kept needs its metric points" .metricSamplesDays .deployEventsDays) }}
{{- end }}
{{- end }}
{{- with .Values.autoscaling.hpa }}
{{- if and .enabled (gt (int .minReplicas) (int .maxReplicas)) }}
{{- fail (printf "autoscaling.hpa.minReplicas (%v) must not exceed maxReplicas (%v)" .minReplicas .maxReplicas) }}
{{- end }}
{{- end }}
{{- with .Values.autoscaling.keda }}
{{- if and .enabled (gt (int .minReplicaCount) (int .maxReplicaCount)) }}
{{- fail (printf "autoscaling.keda.minReplicaCount (%v) must not exceed maxReplicaCount (%v)" .minReplicaCount .maxReplicaCount) }}
{{- end }}
{{- end }}
{{- with .Values.prometheusSource }}
{{- if .enabled }}
{{- if or (not .url) (not .metrics) }}
{{- fail "prometheusSource.enabled needs prometheusSource.url and at least one of prometheusSource.metrics" }}
{{- end }}
{{- if and (or .auth.bearerTokenKey .auth.basicAuthPasswordKey .auth.caKey) (not .auth.existingSecret) }}
{{- fail "prometheusSource.auth keys need prometheusSource.auth.existingSecret" }}
{{- end }}
{{- if and .auth.basicAuthUsername (not .auth.basicAuthPasswordKey) }}
{{- fail "prometheusSource.auth.basicAuthUsername needs basicAuthPasswordKey" }}
{{- end }}
{{- end }}
{{- end }}
{{- /* The service refuses at start an ownership map that is not a flat JSON object of service → team. */}}
{{- with .Values.ownershipMap.content }}
{{- $map := fromJson . }}
{{- if or (hasKey $map "Error") (not $map) }}
{{- fail "ownershipMap.content must be a JSON object of service → team, e.g. {\"checkout\": \"team-payments\"}" }}
{{- end }}
{{- range $service, $team := $map }}
{{- if not (kindIs "string" $team) }}
{{- fail (printf "ownershipMap.content: the team of %q must be a string (a flat JSON object of service → team)" $service) }}
{{- end }}
{{- end }}
{{- end }}
{{- /* Every variable once: a name in both the ConfigMap and the container's env would be
       silently overridden, twice in env is ambiguous. */}}
{{- $config := include "deploy-postmortem.configData" . | fromYaml }}
{{- $seen := dict }}
{{- range include "deploy-postmortem.serverEnv" . | fromYamlArray }}
{{- if or (hasKey $config .name) (hasKey $seen .name) }}
{{- fail (printf "environment variable %s is set twice (check config.extraEnv, database.env, kafka.properties and the *From settings)" .name) }}
{{- end }}
{{- $_ := set $seen .name true }}
{{- end }}
{{- if not .Values.image.repository }}
{{- fail "image.repository is not set: no public image is published. Build deploy/Dockerfile, push it to your registry and set image.repository (and image.tag or image.digest); see docs/operations.md, \"Container image\"" }}
{{- end }}
{{- end }}

{{/* Adds variable (index . 1) = (index . 2) to the dict (index . 0); a name set twice fails,
     naming the value that set it (index . 3). */}}
{{- define "deploy-postmortem.putEnv" -}}
{{- $env := index . 0 }}
{{- $name := index . 1 }}
{{- if hasKey $env $name }}
{{- fail (printf "environment variable %s is set twice (again by %s)" $name (index . 3)) }}
{{- end }}
{{- $_ := set $env $name (index . 2 | toString) }}
{{- end }}

{{/* The non-secret settings of the server, as the ConfigMap's data (a YAML map). */}}
{{- define "deploy-postmortem.configData" -}}
{{- $env := dict }}
{{- $dir := include "deploy-postmortem.secretsDir" . }}
{{- $k := .Values.kafka }}
{{- include "deploy-postmortem.putEnv" (list $env "HTTP_PORT" .Values.config.httpPort "config.httpPort") }}
{{- /* Probes and the Service reach the pod IP: bind every address. */}}
{{- include "deploy-postmortem.putEnv" (list $env "HTTP_HOST" "0.0.0.0" "the chart") }}
{{- include "deploy-postmortem.putEnv" (list $env "KAFKA_BOOTSTRAP_SERVERS" $k.bootstrapServers "kafka.bootstrapServers") }}
{{- include "deploy-postmortem.putEnv" (list $env "KAFKA_GROUP_ID" $k.groupId "kafka.groupId") }}
{{- with $k.clientId }}
{{- include "deploy-postmortem.putEnv" (list $env "KAFKA_CLIENT_ID" . "kafka.clientId") }}
{{- end }}
{{- include "deploy-postmortem.putEnv" (list $env "KAFKA_SECURITY_PROTOCOL" $k.securityProtocol "kafka.securityProtocol") }}
{{- if $k.sasl.mechanism }}
{{- include "deploy-postmortem.putEnv" (list $env "KAFKA_SASL_MECHANISM" $k.sasl.mechanism "kafka.sasl.mechanism") }}
{{- if eq $k.sasl.passwordFrom "file" }}
{{- include "deploy-postmortem.putEnv" (list $env "KAFKA_SASL_PASSWORD_FILE" (printf "%s/kafka-sasl/%s" $dir $k.sasl.passwordKey) "kafka.sasl") }}
{{- end }}
{{- end }}
{{- if $k.tls.existingSecret }}
{{- with $k.tls.caKey }}
{{- include "deploy-postmortem.putEnv" (list $env "KAFKA_SSL_CA_LOCATION" (printf "%s/kafka-tls/%s" $dir .) "kafka.tls.caKey") }}
{{- end }}
{{- with $k.tls.certificateKey }}
{{- include "deploy-postmortem.putEnv" (list $env "KAFKA_SSL_CERTIFICATE_LOCATION" (printf "%s/kafka-tls/%s" $dir .) "kafka.tls.certificateKey") }}
{{- end }}
{{- with $k.tls.keyKey }}
{{- include "deploy-postmortem.putEnv" (list $env "KAFKA_SSL_KEY_LOCATION" (printf "%s/kafka-tls/%s" $dir .) "kafka.tls.keyKey") }}
{{- end }}
{{- end }}
{{- /* KAFKA_<NAME>: dots become _, an underscore becomes __ (docs/kafka.md). */}}
{{- range $property, $value := $k.properties }}
{{- include "deploy-postmortem.putEnv" (list $env (printf "KAFKA_%s" ($property | replace "_" "__" | replace "." "_" | upper)) $value (printf "kafka.properties.%s" $property)) }}
{{- end }}
{{- with $k.topics }}
{{- include "deploy-postmortem.putEnv" (list $env "TOPIC_DEPLOYS" .deploys "kafka.topics.deploys") }}
{{- include "deploy-postmortem.putEnv" (list $env "TOPIC_ROLLBACKS" .rollbacks "kafka.topics.rollbacks") }}
{{- include "deploy-postmortem.putEnv" (list $env "TOPIC_METRICS" .metrics "kafka.topics.metrics") }}
{{- include "deploy-postmortem.putEnv" (list $env "TOPIC_POSTMORTEMS" .postmortems "kafka.topics.postmortems") }}
{{- include "deploy-postmortem.putEnv" (list $env "TOPIC_ACTION_ITEMS" .actionItems "kafka.topics.actionItems") }}
{{- include "deploy-postmortem.putEnv" (list $env "TOPIC_DLQ" .dlq "kafka.topics.dlq") }}
{{- end }}
{{- if eq .Values.apiTokens.from "file" }}
{{- include "deploy-postmortem.putEnv" (list $env "API_TOKENS_FILE" (printf "%s/api/%s" $dir .Values.apiTokens.key) "apiTokens") }}
{{- end }}
{{- if include "deploy-postmortem.ownershipEnabled" . }}
{{- include "deploy-postmortem.putEnv" (list $env "OWNERSHIP_MAP_FILE" (printf "/etc/deploy-postmortem/ownership/%s" .Values.ownershipMap.fileName) "ownershipMap") }}
{{- end }}
{{- if .Values.prometheusSource.enabled }}
{{- include "deploy-postmortem.putEnv" (list $env "PROMETHEUS_SOURCE_FILE" "/etc/deploy-postmortem/prometheus-source/prometheus-source.json" "prometheusSource") }}
{{- end }}
{{- with .Values.config.http }}
{{- include "deploy-postmortem.putEnv" (list $env "HTTP_HEADER_TIMEOUT_SECONDS" .headerTimeoutSeconds "config.http.headerTimeoutSeconds") }}
{{- include "deploy-postmortem.putEnv" (list $env "HTTP_BODY_TIMEOUT_SECONDS" .bodyTimeoutSeconds "config.http.bodyTimeoutSeconds") }}
{{- include "deploy-postmortem.putEnv" (list $env "HTTP_IDLE_TIMEOUT_SECONDS" .idleTimeoutSeconds "config.http.idleTimeoutSeconds") }}
{{- include "deploy-postmortem.putEnv" (list $env "HTTP_MAX_CONNECTIONS" .maxConnections "config.http.maxConnections") }}
{{- end }}
{{- with .Values.config.retention }}
{{- include "deploy-postmortem.putEnv" (list $env "RETENTION_METRIC_SAMPLES_DAYS" .metricSamplesDays "config.retention.metricSamplesDays") }}
{{- include "deploy-postmortem.putEnv" (list $env "RETENTION_DEPLOY_EVENTS_DAYS" .deployEventsDays "config.retention.deployEventsDays") }}
{{- include "deploy-postmortem.putEnv" (list $env "RETENTION_OUTBOX_SENT_DAYS" .outboxSentDays "config.retention.outboxSentDays") }}
{{- end }}
{{- include "deploy-postmortem.putEnv" (list $env "MAINTENANCE_INTERVAL_SECONDS" .Values.config.maintenanceIntervalSeconds "config.maintenanceIntervalSeconds") }}
{{- /* SIGTERM comes after the preStop sleep; leave 10 s for cancellation and the pool to close. */}}
{{- $shutdown := sub (sub (int .Values.terminationGracePeriodSeconds) (int .Values.preStopSleepSeconds)) 10 }}
{{- if lt $shutdown 1 }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed preStopSleepSeconds (%v) + 10: the server needs time to shut down" .Values.terminationGracePeriodSeconds .Values.preStopSleepSeconds) }}
{{- end }}
{{- include "deploy-postmortem.putEnv" (list $env "SHUTDOWN_TIMEOUT_SECONDS" (min $shutdown 3600) "terminationGracePeriodSeconds") }}
{{- with .Values.config.events }}
{{- include "deploy-postmortem.putEnv" (list $env "EVENT_SOURCE" .source "config.events.source") }}
{{- include "deploy-postmortem.putEnv" (list $env "EVENT_DATASCHEMA_BASE_URL" .dataschemaBaseUrl "config.events.dataschemaBaseUrl") }}
{{- with .publicApiUrl }}
{{- include "deploy-postmortem.putEnv" (list $env "PUBLIC_API_URL" . "config.events.publicApiUrl") }}
{{- end }}
{{- with .publicUiUrl }}
{{- include "deploy-postmortem.putEnv" (list $env "PUBLIC_UI_URL" . "config.events.publicUiUrl") }}
{{- end }}
{{- end }}
{{- with .Values.config.ui }}
{{- with .authProxyHeader }}
{{- include "deploy-postmortem.putEnv" (list $env "UI_AUTH_PROXY_HEADER" . "config.ui.authProxyHeader") }}
{{- end }}
{{- include "deploy-postmortem.putEnv" (list $env "UI_SESSION_TTL_SECONDS" .sessionTtlSeconds "config.ui.sessionTtlSeconds") }}
{{- end }}
{{- with .Values.config.analysis }}
{{- include "deploy-postmortem.putEnv" (list $env "ANALYSIS_BASELINE_WINDOW_SECONDS" .baselineWindowSeconds "config.analysis.baselineWindowSeconds") }}
{{- include "deploy-postmortem.putEnv" (list $env "ANALYSIS_GRACE_SECONDS" .graceSeconds "config.analysis.graceSeconds") }}
{{- include "deploy-postmortem.putEnv" (list $env "ANALYSIS_RELATIVE_MARGIN" .relativeMargin "config.analysis.relativeMargin") }}
{{- include "deploy-postmortem.putEnv" (list $env "ANALYSIS_ABSOLUTE_MARGIN" .absoluteMargin "config.analysis.absoluteMargin") }}
{{- include "deploy-postmortem.putEnv" (list $env "ATTRIBUTION_WINDOW_SECONDS" .attributionWindowSeconds "config.analysis.attributionWindowSeconds") }}
{{- include "deploy-postmortem.putEnv" (list $env "DETECTION_TARGET_SECONDS" .detectionTargetSeconds "config.analysis.detectionTargetSeconds") }}
{{- include "deploy-postmortem.putEnv" (list $env "ANALYSIS_HEALTHY_DEPLOYS" .healthyDeploys "config.analysis.healthyDeploys") }}
{{- with .gateEvaluation }}
{{- include "deploy-postmortem.putEnv" (list $env "ANALYSIS_GATE_EVALUATION" . "config.analysis.gateEvaluation") }}
{{- end }}
{{- end }}
{{- range $name, $value := .Values.config.extraEnv }}
{{- include "deploy-postmortem.putEnv" (list $env $name $value (printf "config.extraEnv.%s" $name)) }}
{{- end }}
{{- toYaml $env }}
{{- end }}

{{/* The server container's env list: the database settings, the pod name as client.id, and
     the values taken from Secrets (secretKeyRef). */}}
{{- define "deploy-postmortem.serverEnv" -}}
{{- include "deploy-postmortem.databaseEnv" . }}
{{- if not .Values.kafka.clientId }}
# One client.id per pod: broker logs and quotas name the replica.
- name: KAFKA_CLIENT_ID
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- end }}
{{- with .Values.kafka.sasl }}
{{- if .mechanism }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .usernameKey }}
{{- if eq .passwordFrom "env" }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .passwordKey }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.config.ui.sessionKeySecret }}
# Signs the UI's session cookies; UI_SESSION_KEY_FILE would read it from a mounted file instead.
- name: UI_SESSION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.config.ui.sessionKeyKey }}
{{- end }}
{{- if eq .Values.apiTokens.from "env" }}
- name: API_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ include "deploy-postmortem.apiTokensSecretName" . }}
      key: {{ .Values.apiTokens.key }}
{{- end }}
{{- end }}

{{/* envFrom of both workloads: existing Secrets whose every key becomes a variable. */}}
{{- define "deploy-postmortem.secretEnvFrom" -}}
{{- range .Values.envFromSecrets }}
- secretRef:
    name: {{ . }}
{{- end }}
{{- end }}

{{/*
Environment shared by the server and the migration hook Job. The hook runs
before any chart resource exists, so this is rendered inline, not via the ConfigMap.
*/}}
{{- define "deploy-postmortem.databaseEnv" -}}
{{- if eq .Values.database.urlFrom "file" }}
- name: DATABASE_URL_FILE
  value: {{ include "deploy-postmortem.secretsDir" . }}/database/{{ .Values.database.urlKey }}
{{- else if eq .Values.database.urlFrom "env" }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "deploy-postmortem.databaseSecretName" . }}
      key: {{ .Values.database.urlKey }}
{{- end }}
{{- if .Values.database.caKey }}
- name: PGSSLROOTCERT
  value: {{ include "deploy-postmortem.secretsDir" . }}/database/{{ .Values.database.caKey }}
{{- end }}
{{- range $name, $value := .Values.database.env }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
- name: LOG_FORMAT
  value: {{ .Values.config.logFormat | quote }}
- name: LOG_LEVEL
  value: {{ .Values.config.logLevel | quote }}
{{- end }}

{{/* Whether the database Secret is mounted: for the URL file, or for the server CA. */}}
{{- define "deploy-postmortem.databaseMounted" -}}
{{- if or (eq .Values.database.urlFrom "file") .Values.database.caKey }}true{{ end }}
{{- end }}

{{- define "deploy-postmortem.databaseVolume" -}}
{{- if include "deploy-postmortem.databaseMounted" . }}
- name: database
  secret:
    secretName: {{ include "deploy-postmortem.databaseSecretName" . }}
    defaultMode: 0440
    items:
      {{- if eq .Values.database.urlFrom "file" }}
      - key: {{ .Values.database.urlKey }}
        path: {{ .Values.database.urlKey }}
      {{- end }}
      {{- if .Values.database.caKey }}
      - key: {{ .Values.database.caKey }}
        path: {{ .Values.database.caKey }}
      {{- end }}
{{- end }}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
{{- end }}

{{- define "deploy-postmortem.databaseVolumeMount" -}}
{{- if include "deploy-postmortem.databaseMounted" . }}
- name: database
  mountPath: {{ include "deploy-postmortem.secretsDir" . }}/database
  readOnly: true
{{- end }}
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "deploy-postmortem.podSecurityContext" -}}
{{- with .Values.podSecurityContext -}}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "deploy-postmortem.containerSecurityContext" -}}
{{- with .Values.securityContext -}}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* KEDA's names for the SASL mechanisms. */}}
{{- define "deploy-postmortem.kedaSasl" -}}
{{- $m := .Values.kafka.sasl.mechanism }}
{{- if eq $m "PLAIN" }}plaintext{{ else if eq $m "SCRAM-SHA-256" }}scram_sha256{{ else if eq $m "SCRAM-SHA-512" }}scram_sha512{{ else }}none{{ end }}
{{- end }}

{{- define "deploy-postmortem.kafkaUsesTLS" -}}
{{- if or (eq .Values.kafka.securityProtocol "SSL") (eq .Values.kafka.securityProtocol "SASL_SSL") }}true{{ end }}
{{- end }}

{{/* PROMETHEUS_SOURCE_FILE's JSON (docs/operations.md, "Prometheus as a metric source"): the
     values of prometheusSource, secrets as paths of the mounted Secret. */}}
{{- define "deploy-postmortem.prometheusSourceFile" -}}
{{- $p := .Values.prometheusSource }}
{{- $dir := printf "%s/prometheus" (include "deploy-postmortem.secretsDir" .) }}
{{- $file := dict "url" $p.url "intervalSeconds" $p.intervalSeconds "timeoutSeconds" $p.timeoutSeconds "retries" $p.retries "maxResponseBytes" $p.maxResponseBytes "maxSeries" $p.maxSeries "metrics" $p.metrics }}
{{- $auth := dict }}
{{- with $p.tenant }}{{- $_ := set $auth "tenant" . }}{{- end }}
{{- with $p.auth }}
{{- with .bearerTokenKey }}{{- $_ := set $auth "bearerTokenFile" (printf "%s/%s" $dir .) }}{{- end }}
{{- if .basicAuthUsername }}{{- $_ := set $auth "basicAuth" (dict "username" .basicAuthUsername "passwordFile" (printf "%s/%s" $dir .basicAuthPasswordKey)) }}{{- end }}
{{- with .caKey }}{{- $_ := set $auth "caFile" (printf "%s/%s" $dir .) }}{{- end }}
{{- end }}
{{- if $auth }}{{- $_ := set $file "auth" $auth }}{{- end }}
{{- toPrettyJson $file }}
{{- end }}
