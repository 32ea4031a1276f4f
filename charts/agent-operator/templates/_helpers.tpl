{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "agent-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, or the release name when it already has the chart's. */}}
{{- define "agent-operator.fullname" -}}
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

{{- define "agent-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "agent-operator.labels" -}}
helm.sh/chart: {{ include "agent-operator.chart" . }}
{{ include "agent-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agent-operator
{{- end }}

{{- define "agent-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "agent-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "agent-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "agent-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "agent-operator.leaderElectionNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{- define "agent-operator.metricsServiceName" -}}
{{- printf "%s-metrics" (include "agent-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The image reference: by digest when one is given, else by tag (appVersion by default). */}}
{{- define "agent-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The ClusterRole and ClusterRoleBinding of cluster mode: one per cluster, whatever the release is called. */}}
{{- define "agent-operator.clusterModeName" -}}
agent-operator
{{- end }}

{{/*
Two operators watching the same Agents both lead (each on its own Lease) and
fight over every object. Refuse the install when another release already runs
in cluster mode (its ClusterRole exists and names another release), or when
this one would run in cluster mode beside it. lookup sees the cluster only on
install/upgrade; `helm template` and GitOps renderings get nothing here, and
there the fixed ClusterRole name is what conflicts.
*/}}
{{- define "agent-operator.oneClusterModeRelease" -}}
{{- $existing := lookup "rbac.authorization.k8s.io/v1" "ClusterRole" "" (include "agent-operator.clusterModeName" .) }}
{{- if $existing }}
{{- $annotations := $existing.metadata.annotations | default dict }}
{{- $release := index $annotations "meta.helm.sh/release-name" | default "" }}
{{- $namespace := index $annotations "meta.helm.sh/release-namespace" | default "" }}
{{- if not (and (eq $release .Release.Name) (eq $namespace .Release.Namespace)) }}
{{- fail (printf "agent-operator already runs in cluster mode (release %q in namespace %q, ClusterRole %q): a second operator watching the same Agents would lead on its own Lease and fight the first over every object. Upgrade that release instead (helm upgrade %s -n %s), or uninstall it first." $release $namespace (include "agent-operator.clusterModeName" .) $release $namespace) }}
{{- end }}
{{- end }}
{{- end }}
