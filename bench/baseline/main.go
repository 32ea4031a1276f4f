// A measuring stick, not a product: the smallest controller-runtime operator
// that does agent-operator's hot path on the same CRD, so `make bench` can put
// the TypeScript operator's figures beside the field's reference runtime.
//
// What it does, per Agent (agent-operator.dev/v1alpha1):
//   - server-side apply of the Deployment (same name, labels, selector,
//     strategy and one container "agent" with spec.image) when the cached one
//     is missing or differs in image or replicas; a Service only when the
//     Agent has ports (the bench's Agents have none, as for the operator);
//   - status: observedGeneration, a Ready condition (Deployment available and
//     rolled out) and lastFailure (the newest OOMKilled / non-zero exit in its
//     pods' lastState), written only when they change.
//
// What it does NOT do (so it does less work than agent-operator): no events,
// no revision hashing of the pod template or referenced Secrets/ConfigMaps,
// no Secret/ConfigMap/PVC/PDB/EndpointSlice/ReplicaSet caches, no probes,
// config layers or storage, no remediation (restart, memory raise, rollback,
// hold), no healthy-revision tracking, no other conditions, no validation of
// pod policy, no finalizer. Leader election is off unless LEADER_ELECT=true
// (the bench runs one copy; `--leader-elect` measures idle with the renewals
// a replicated deployment has: controller-runtime's 15/10/2 s defaults, as
// agent-operator's).
//
// Environment (the same names agent-operator reads): KUBECONFIG,
// WATCH_NAMESPACES (one namespace), METRICS_BIND_ADDRESS,
// HEALTH_PROBE_BIND_ADDRESS, WORKERS, LEADER_ELECT, LEADER_ELECTION_NAMESPACE.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

var agentGVK = schema.GroupVersionKind{Group: "agent-operator.dev", Version: "v1alpha1", Kind: "Agent"}

const (
	fieldOwner = "agent-operator"
	agentLabel = "agent-operator.dev/agent"
	managedBy  = "app.kubernetes.io/managed-by"
)

// apiRequests counts requests as agent-operator's metric of the same name
// does, so the bench counts both operators' writes the same way.
var apiRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "agent_operator_api_requests_total", Help: "Kubernetes API requests by verb, resource and code.",
}, []string{"verb", "resource", "code"})

type countingTransport struct{ next http.RoundTripper }

func (t countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(req)
	code := "error"
	if err == nil {
		code = strconv.Itoa(res.StatusCode)
	}
	apiRequests.WithLabelValues(verbOf(req), resourceOf(req.URL.Path), code).Inc()
	return res, err
}

func verbOf(req *http.Request) string {
	switch req.Method {
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		return "delete"
	}
	if req.URL.Query().Get("watch") == "true" {
		return "watch"
	}
	return "get"
}

// resourceOf: /api/v1/namespaces/ns/pods/x/status -> pods/status.
func resourceOf(path string) string {
	p := strings.Split(strings.Trim(path, "/"), "/")
	if len(p) > 0 && p[0] == "apis" && len(p) >= 3 {
		p = p[3:]
	} else if len(p) >= 2 {
		p = p[2:]
	}
	if len(p) >= 2 && p[0] == "namespaces" {
		p = p[2:]
	}
	switch len(p) {
	case 0:
		return "namespaces"
	case 1, 2:
		return p[0]
	default:
		return p[0] + "/" + p[2]
	}
}

type reconciler struct{ c client.Client }

func (r *reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	agent := &unstructured.Unstructured{}
	agent.SetGroupVersionKind(agentGVK)
	if err := r.c.Get(ctx, req.NamespacedName, agent); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	if agent.GetDeletionTimestamp() != nil {
		return reconcile.Result{}, nil
	}
	image, _, _ := unstructured.NestedString(agent.Object, "spec", "image")
	replicas := int32(1)
	if n, ok, _ := unstructured.NestedInt64(agent.Object, "spec", "replicas"); ok {
		replicas = int32(n)
	}
	sel := selectorLabels(agent.GetName())

	current := &appsv1.Deployment{}
	err := r.c.Get(ctx, req.NamespacedName, current)
	if err != nil && !apierrors.IsNotFound(err) {
		return reconcile.Result{}, err
	}
	if apierrors.IsNotFound(err) || current.Spec.Replicas == nil || *current.Spec.Replicas != replicas ||
		len(current.Spec.Template.Spec.Containers) != 1 || current.Spec.Template.Spec.Containers[0].Image != image {
		if err := r.c.Patch(ctx, desiredDeployment(agent, image, replicas, sel), client.Apply, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
			return reconcile.Result{}, err
		}
	}
	if ports, ok, _ := unstructured.NestedSlice(agent.Object, "spec", "ports"); ok && len(ports) > 0 {
		if err := r.c.Patch(ctx, desiredService(agent, ports, sel), client.Apply, client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
			return reconcile.Result{}, err
		}
	}

	pods := &corev1.PodList{}
	if err := r.c.List(ctx, pods, client.InNamespace(req.Namespace), client.MatchingLabels{agentLabel: sel[agentLabel]}); err != nil {
		return reconcile.Result{}, err
	}
	ready := err == nil && current.Status.ObservedGeneration >= current.Generation && current.Spec.Replicas != nil &&
		current.Status.UpdatedReplicas == replicas && current.Status.AvailableReplicas >= replicas && current.Status.Replicas == replicas
	return reconcile.Result{}, r.writeStatus(ctx, agent, ready, lastFailure(pods.Items))
}

func selectorLabels(name string) map[string]string {
	return map[string]string{"app.kubernetes.io/name": "agent", "app.kubernetes.io/instance": name, managedBy: "agent-operator", agentLabel: name}
}

func ownerRef(agent *unstructured.Unstructured) []metav1.OwnerReference {
	t := true
	return []metav1.OwnerReference{{APIVersion: agentGVK.GroupVersion().String(), Kind: agentGVK.Kind, Name: agent.GetName(), UID: agent.GetUID(), Controller: &t, BlockOwnerDeletion: &t}}
}

func desiredDeployment(agent *unstructured.Unstructured, image string, replicas int32, sel map[string]string) *appsv1.Deployment {
	surge := intOrString("25%")
	zero := intOrString("0")
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: agent.GetName(), Namespace: agent.GetNamespace(), Labels: sel, OwnerReferences: ownerRef(agent)},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: sel},
			Strategy:        appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &zero}},
			MinReadySeconds: 5,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "agent", Image: image}}},
			},
		},
	}
}

func desiredService(agent *unstructured.Unstructured, ports []any, sel map[string]string) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: agent.GetName(), Namespace: agent.GetNamespace(), Labels: sel, OwnerReferences: ownerRef(agent)},
		Spec:       corev1.ServiceSpec{Selector: sel},
	}
	for _, p := range ports {
		m, _ := p.(map[string]any)
		name, _ := m["name"].(string)
		port, _ := m["containerPort"].(int64)
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: name, Port: int32(port), TargetPort: intOrString(name)})
	}
	return svc
}

type failure struct {
	Reason   string `json:"reason"`
	Message  string `json:"message"`
	Pod      string `json:"pod,omitempty"`
	ExitCode int32  `json:"exitCode"`
	Time     string `json:"time"`
	Count    int64  `json:"count"`
}

// lastFailure: the newest terminated container state that was a failure.
func lastFailure(pods []corev1.Pod) *failure {
	var out *failure
	var newest time.Time
	var count int64
	for _, p := range pods {
		for _, cs := range p.Status.ContainerStatuses {
			t := cs.LastTerminationState.Terminated
			if t == nil || (t.ExitCode == 0 && t.Reason != "OOMKilled") {
				continue
			}
			count++
			if out == nil || t.FinishedAt.After(newest) {
				newest = t.FinishedAt.Time
				reason := "Error"
				if t.Reason == "OOMKilled" {
					reason = "OOMKilled"
				}
				out = &failure{Reason: reason, Message: fmt.Sprintf("container %s exited %d (%s)", cs.Name, t.ExitCode, t.Reason), Pod: p.Name, ExitCode: t.ExitCode, Time: t.FinishedAt.UTC().Format(time.RFC3339)}
			}
		}
	}
	if out != nil {
		out.Count = count
	}
	return out
}

func (r *reconciler) writeStatus(ctx context.Context, agent *unstructured.Unstructured, ready bool, lf *failure) error {
	status, _, _ := unstructured.NestedMap(agent.Object, "status")
	gen := agent.GetGeneration()
	want := "False"
	reason := "Progressing"
	if ready {
		want, reason = "True", "Available"
	}
	oldReady := map[string]any{}
	if conds, ok := status["conditions"].([]any); ok {
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "Ready" {
				oldReady = m
			}
		}
	}
	var lfMap map[string]any
	if lf != nil {
		b, _ := json.Marshal(lf)
		_ = json.Unmarshal(b, &lfMap)
	}
	oldGen, _ := status["observedGeneration"].(int64)
	if oldGen == gen && oldReady["status"] == want && oldReady["observedGeneration"] == gen && reflect.DeepEqual(status["lastFailure"], lfMap) {
		return nil
	}
	transition, _ := oldReady["lastTransitionTime"].(string)
	if oldReady["status"] != want || transition == "" {
		transition = time.Now().UTC().Format(time.RFC3339)
	}
	patch := map[string]any{"status": map[string]any{
		"observedGeneration": gen,
		"conditions":         []any{map[string]any{"type": "Ready", "status": want, "observedGeneration": gen, "lastTransitionTime": transition, "reason": reason, "message": ""}},
		"lastFailure":        lfMap,
	}}
	body, _ := json.Marshal(patch)
	return r.c.Status().Patch(ctx, agent, client.RawPatch(types.MergePatchType, body))
}

func intOrString(s string) intstr.IntOrString { return intstr.Parse(s) }

func main() {
	ctrl.SetLogger(zap.New(zap.UseDevMode(false)))
	ns := os.Getenv("WATCH_NAMESPACES")
	workers, _ := strconv.Atoi(os.Getenv("WORKERS"))
	if workers <= 0 {
		workers = 2
	}
	cfg := ctrl.GetConfigOrDie()
	cfg.QPS, cfg.Burst = -1, 0 // no client-side throttling, as agent-operator
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt} })
	metrics.Registry.MustRegister(apiRequests)
	owned := labels.SelectorFromSet(labels.Set{managedBy: "agent-operator"})
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Metrics:                 metricsserver.Options{BindAddress: envOr("METRICS_BIND_ADDRESS", ":8080")},
		HealthProbeBindAddress:  envOr("HEALTH_PROBE_BIND_ADDRESS", ":8081"),
		LeaderElection:          os.Getenv("LEADER_ELECT") == "true",
		LeaderElectionID:        "agent-operator-baseline",
		LeaderElectionNamespace: envOr("LEADER_ELECTION_NAMESPACE", ns),
		Cache: cache.Options{
			DefaultNamespaces: map[string]cache.Config{ns: {}},
			ByObject: map[client.Object]cache.ByObject{
				&appsv1.Deployment{}: {Label: owned},
				&corev1.Pod{}:        {Label: owned},
				&corev1.Service{}:    {Label: owned},
			},
		},
	})
	if err != nil {
		panic(err)
	}
	_ = mgr.AddReadyzCheck("cache", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return fmt.Errorf("not synced")
		}
		return nil
	})
	_ = mgr.AddHealthzCheck("ping", healthz.Ping)
	agent := &unstructured.Unstructured{}
	agent.SetGroupVersionKind(agentGVK)
	toAgent := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		name := o.GetLabels()[agentLabel]
		if name == "" {
			return nil
		}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
	})
	err = ctrl.NewControllerManagedBy(mgr).Named("agent").
		For(agent, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Service{}).
		Watches(&corev1.Pod{}, toAgent).
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(&reconciler{c: mgr.GetClient()})
	if err != nil {
		panic(err)
	}
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		panic(err)
	}
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}
