// Package k8s is an autoscale.Executor that scales a Kubernetes Deployment
// or StatefulSet through its scale subresource (GET and PUT
// .../deployments/NAME/scale), so it needs no permission on the workload
// itself and cooperates with other controllers through optimistic
// concurrency: an update that conflicts with a status change is re-read and
// retried, one that conflicts with another writer's change of the replica
// count is not applied (ErrReplicasChanged).
//
// It needs this RBAC in the workload's namespace:
//
//	apiVersion: rbac.authorization.k8s.io/v1
//	kind: Role
//	metadata: {name: dw-autoscaler, namespace: NAMESPACE}
//	rules:
//	- apiGroups: ["apps"]
//	  resources: ["deployments/scale", "statefulsets/scale"]
//	  verbs: ["get", "update", "patch"]
//
// bound to the scaler's service account with a RoleBinding.
//
// Usage:
//
//	cfg, _ := rest.InClusterConfig()
//	client, _ := kubernetes.NewForConfig(cfg)
//	exec, _ := k8s.New(k8s.Config{Client: client, Namespace: "dw", Name: "dwnode", Kind: k8s.StatefulSet})
//	scaler, _ := autoscale.New(autoscale.DefaultConfig(), metrics, exec)
//
// Client-go is imported only here, so programs that do not scale
// Kubernetes do not link it.
package k8s

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/dwsdk/distributed/runtime/autoscale"
)

// Kind is the kind of workload scaled.
type Kind string

// The workloads with a scale subresource that the executor supports.
const (
	Deployment  Kind = "Deployment"
	StatefulSet Kind = "StatefulSet"
)

// Config configures an Executor.
type Config struct {
	Client    kubernetes.Interface
	Namespace string
	Name      string
	Kind      Kind
	// Backoff paces retries after update conflicts (default client-go's
	// retry.DefaultRetry: 5 attempts from 10 ms).
	Backoff *wait.Backoff
	// Logger receives one record per change (nil: slog.Default()).
	Logger *slog.Logger
}

// Executor scales one workload. Safe for concurrent use (the API server
// serialises updates; conflicts are retried).
type Executor struct {
	cfg     Config
	backoff wait.Backoff
	log     *slog.Logger
}

var _ autoscale.Executor = (*Executor)(nil)

// ErrConfig is wrapped by configuration errors.
var ErrConfig = errors.New("k8s executor: invalid config")

// ErrReplicasChanged is returned when another writer changed spec.replicas
// while a scale request was being applied: the request, decided on the old
// count, is not applied to the new one.
var ErrReplicasChanged = errors.New("k8s executor: replicas changed by another writer")

// New checks cfg and returns the executor; it does not contact the API.
func New(cfg Config) (*Executor, error) {
	switch {
	case cfg.Client == nil:
		return nil, fmt.Errorf("%w: no client", ErrConfig)
	case cfg.Name == "":
		return nil, fmt.Errorf("%w: no workload name", ErrConfig)
	case cfg.Kind != Deployment && cfg.Kind != StatefulSet:
		return nil, fmt.Errorf("%w: kind %q is neither %q nor %q", ErrConfig, cfg.Kind, Deployment, StatefulSet)
	}
	if cfg.Namespace == "" {
		cfg.Namespace = metav1.NamespaceDefault
	}
	e := &Executor{cfg: cfg, backoff: retry.DefaultRetry, log: cfg.Logger}
	if cfg.Backoff != nil {
		e.backoff = *cfg.Backoff
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	return e, nil
}

// String names the workload ("Deployment dw/dwnode"), as logs and errors
// do.
func (e *Executor) String() string {
	return fmt.Sprintf("%s %s/%s", e.cfg.Kind, e.cfg.Namespace, e.cfg.Name)
}

func (e *Executor) getScale(ctx context.Context) (*autoscalingv1.Scale, error) {
	if e.cfg.Kind == StatefulSet {
		return e.cfg.Client.AppsV1().StatefulSets(e.cfg.Namespace).GetScale(ctx, e.cfg.Name, metav1.GetOptions{})
	}
	return e.cfg.Client.AppsV1().Deployments(e.cfg.Namespace).GetScale(ctx, e.cfg.Name, metav1.GetOptions{})
}

func (e *Executor) updateScale(ctx context.Context, s *autoscalingv1.Scale) (*autoscalingv1.Scale, error) {
	if e.cfg.Kind == StatefulSet {
		return e.cfg.Client.AppsV1().StatefulSets(e.cfg.Namespace).UpdateScale(ctx, e.cfg.Name, s, metav1.UpdateOptions{})
	}
	return e.cfg.Client.AppsV1().Deployments(e.cfg.Namespace).UpdateScale(ctx, e.cfg.Name, s, metav1.UpdateOptions{})
}

// ScaleUp adds n replicas.
func (e *Executor) ScaleUp(ctx context.Context, n int) (autoscale.Result, error) {
	if n < 1 {
		return autoscale.Result{}, fmt.Errorf("%w: node count %d", autoscale.ErrInvalidRequest, n)
	}
	return e.change(ctx, n)
}

// ScaleDown removes up to n replicas (never below 0).
func (e *Executor) ScaleDown(ctx context.Context, n int) (autoscale.Result, error) {
	if n < 1 {
		return autoscale.Result{}, fmt.Errorf("%w: node count %d", autoscale.ErrInvalidRequest, n)
	}
	return e.change(ctx, -n)
}

// change reads the scale, sets replicas to current+delta and writes it back
// with the resourceVersion it read; on a conflict it re-reads and retries
// as long as spec.replicas is still what it first read (a status update
// moved the resourceVersion), else it stops with ErrReplicasChanged rather
// than apply a change decided on one count to another. The Result's After
// is spec.replicas of the Scale the API server answered the update with.
func (e *Executor) change(ctx context.Context, delta int) (autoscale.Result, error) {
	var res autoscale.Result
	attempts, first := 0, -1
	err := retry.RetryOnConflict(e.backoff, func() error {
		attempts++
		s, err := e.getScale(ctx)
		if err != nil {
			return err
		}
		before := int(s.Spec.Replicas)
		res = autoscale.Result{Before: before, After: before}
		if first < 0 {
			first = before
		} else if before != first {
			return fmt.Errorf("%w: from %d to %d, so a change decided on %d is not applied", ErrReplicasChanged, first, before, first)
		}
		after := max(before+delta, 0)
		if after == before {
			return nil
		}
		s.Spec.Replicas = int32(after)
		stored, err := e.updateScale(ctx, s)
		if err != nil {
			return err
		}
		// What the API server stored, which an admission webhook or a
		// policy may have changed from what was asked.
		res.After = int(stored.Spec.Replicas)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("k8s executor: scale %s by %+d after %d attempt(s): %w", e, delta, attempts, err)
	}
	res.Changed = max(res.After-res.Before, res.Before-res.After)
	if e.cfg.Kind == StatefulSet {
		// StatefulSet pods are NAME-ORDINAL; scale-down removes the
		// highest ordinals.
		for i := min(res.Before, res.After); i < max(res.Before, res.After); i++ {
			res.Nodes = append(res.Nodes, fmt.Sprintf("%s-%d", e.cfg.Name, i))
		}
	}
	e.log.Info("autoscale: scaled workload", "workload", e.String(), "before", res.Before, "after", res.After, "attempts", attempts)
	return res, nil
}

// Nodes returns the workload's desired replica count (spec.replicas of the
// scale subresource).
func (e *Executor) Nodes(ctx context.Context) (int, error) {
	s, err := e.getScale(ctx)
	if err != nil {
		return 0, fmt.Errorf("k8s executor: get scale of %s: %w", e, err)
	}
	return int(s.Spec.Replicas), nil
}
