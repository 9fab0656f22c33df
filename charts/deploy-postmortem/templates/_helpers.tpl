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
{{- end }}

{{/*
Environment shared by the server and the migration hook Job. The hook runs
before any chart resource exists, so this is rendered inline, not via the ConfigMap.
*/}}
{{- define "deploy-postmortem.databaseEnv" -}}
- name: DATABASE_URL_FILE
  value: {{ include "deploy-postmortem.secretsDir" . }}/database/{{ .Values.database.urlKey }}
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

{{- define "deploy-postmortem.databaseVolume" -}}
- name: database
  secret:
    secretName: {{ include "deploy-postmortem.databaseSecretName" . }}
    defaultMode: 0440
    items:
      - key: {{ .Values.database.urlKey }}
        path: {{ .Values.database.urlKey }}
      {{- if .Values.database.caKey }}
      - key: {{ .Values.database.caKey }}
        path: {{ .Values.database.caKey }}
      {{- end }}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
{{- end }}

{{- define "deploy-postmortem.databaseVolumeMount" -}}
- name: database
  mountPath: {{ include "deploy-postmortem.secretsDir" . }}/database
  readOnly: true
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
