package k8s

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/dwsdk/distributed/runtime/autoscale"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const ns, name = "dw", "dwnode"

// apiServer is the fake clientset with reactors that implement the scale
// subresource the way the API server does (the plain fake returns the
// workload object, not a Scale): GET builds a Scale from the workload's
// spec.replicas and resourceVersion; PUT applies it only if the
// resourceVersion still matches, else answers 409 Conflict.
type apiServer struct {
	*fake.Clientset
	gvr     schema.GroupVersionResource
	gets    atomic.Int32
	updates atomic.Int32
	// beforeUpdate, if set, runs inside each PUT before the version check
	// (to simulate another writer).
	beforeUpdate func(n int32)
	// admit, if set, changes the replicas a PUT asks for before they are
	// stored, as a mutating admission webhook or a LimitRange-like policy
	// would; the answer carries the stored count.
	admit func(replicas int32) int32
}

func newAPIServer(t *testing.T, kind Kind, replicas int32) *apiServer {
	meta := metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: "1"}
	var obj runtime.Object
	var resource string
	if kind == StatefulSet {
		obj, resource = &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Replicas: &replicas}}, "statefulsets"
	} else {
		obj, resource = &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: &replicas}}, "deployments"
	}
	s := &apiServer{Clientset: fake.NewClientset(obj), gvr: appsv1.SchemeGroupVersion.WithResource(resource)}
	s.PrependReactor("get", resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		if a.GetNamespace() != ns || a.(k8stesting.GetAction).GetName() != name {
			return true, nil, apierrors.NewNotFound(s.gvr.GroupResource(), a.(k8stesting.GetAction).GetName())
		}
		s.gets.Add(1)
		r, rv, err := s.workload()
		if err != nil {
			return true, nil, err
		}
		return true, &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: rv},
			Spec: autoscalingv1.ScaleSpec{Replicas: r}}, nil
	})
	s.PrependReactor("update", resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		n := s.updates.Add(1)
		if s.beforeUpdate != nil {
			s.beforeUpdate(n)
		}
		scale := a.(k8stesting.UpdateAction).GetObject().(*autoscalingv1.Scale)
		_, rv, err := s.workload()
		if err != nil {
			return true, nil, err
		}
		if scale.ResourceVersion != rv {
			return true, nil, apierrors.NewConflict(s.gvr.GroupResource(), name, errors.New("the object has been modified"))
		}
		out := scale.DeepCopy()
		if s.admit != nil {
			out.Spec.Replicas = s.admit(out.Spec.Replicas)
		}
		if err := s.setReplicas(out.Spec.Replicas); err != nil {
			return true, nil, err
		}
		_, out.ResourceVersion, _ = s.workload()
		return true, out, nil
	})
	return s
}

// workload reads spec.replicas and the resourceVersion from the tracker.
func (s *apiServer) workload() (int32, string, error) {
	obj, err := s.Tracker().Get(s.gvr, ns, name)
	if err != nil {
		return 0, "", err
	}
	switch w := obj.(type) {
	case *appsv1.Deployment:
		return *w.Spec.Replicas, w.ResourceVersion, nil
	case *appsv1.StatefulSet:
		return *w.Spec.Replicas, w.ResourceVersion, nil
	}
	return 0, "", errors.New("unexpected object")
}

// setReplicas writes spec.replicas and bumps the resourceVersion, as any
// writer (this executor or another controller) would.
func (s *apiServer) setReplicas(r int32) error {
	obj, err := s.Tracker().Get(s.gvr, ns, name)
	if err != nil {
		return err
	}
	bump := func(m *metav1.ObjectMeta) {
		v, _ := strconv.Atoi(m.ResourceVersion)
		m.ResourceVersion = strconv.Itoa(v + 1)
	}
	switch w := obj.DeepCopyObject().(type) {
	case *appsv1.Deployment:
		w.Spec.Replicas = &r
		bump(&w.ObjectMeta)
		obj = w
	case *appsv1.StatefulSet:
		w.Spec.Replicas = &r
		bump(&w.ObjectMeta)
		obj = w
	}
	return s.Tracker().Update(s.gvr, obj, ns)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// threeToFive returns an executor of the workload of client, checking
// that it reads 3 replicas and scales them up to 5.
func threeToFive(t *testing.T, client kubernetes.Interface, kind Kind) *Executor {
	t.Helper()
	e, err := New(Config{Client: client, Namespace: ns, Name: name, Kind: kind, Logger: quiet()})
	require.NoError(t, err)
	n, err := e.Nodes(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, n)
	res, err := e.ScaleUp(context.Background(), 2)
	require.NoError(t, err)
	require.Equal(t, autoscale.Result{Changed: 2, Before: 3, After: 5, Nodes: res.Nodes}, res)
	return e
}

func TestScaleDeploymentAndStatefulSet(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []Kind{Deployment, StatefulSet} {
		t.Run(string(kind), func(t *testing.T) {
			api := newAPIServer(t, kind, 3)
			e := threeToFive(t, api, kind)
			r, _, _ := api.workload()
			require.Equal(t, int32(5), r, "the workload's spec.replicas changed")

			res, err := e.ScaleDown(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, 1, res.Changed)
			r, _, _ = api.workload()
			require.Equal(t, int32(4), r)
			if kind == StatefulSet {
				require.Equal(t, []string{"dwnode-4"}, res.Nodes, "the highest ordinal goes")
			} else {
				require.Empty(t, res.Nodes, "deployment pod names are not known")
			}

			res, err = e.ScaleDown(ctx, 10)
			require.NoError(t, err)
			require.Equal(t, 4, res.Changed, "never below 0")
			require.Equal(t, 0, res.After)

			// Only the scale subresource was used.
			for _, a := range api.Actions() {
				require.Equal(t, "scale", a.GetSubresource(), "%s %s", a.GetVerb(), a.GetResource())
			}
		})
	}
}

// racedTo returns a Deployment of 3 replicas and its executor; just
// before the first PUT lands, another write sets spec.replicas to r (3:
// only the resourceVersion moves, as on a status update), so the PUT gets
// a 409.
func racedTo(t *testing.T, r int32) (*apiServer, *Executor) {
	api := newAPIServer(t, Deployment, 3)
	api.beforeUpdate = func(n int32) {
		if n == 1 {
			require.NoError(t, api.setReplicas(r))
		}
	}
	e, err := New(Config{Client: api, Namespace: ns, Name: name, Kind: Deployment, Logger: quiet()})
	require.NoError(t, err)
	return api, e
}

// TestConflictIsRetried: a 409 from a write that left spec.replicas as it
// was (the workload's status moved on, which bumps the resourceVersion the
// scale subresource carries) is re-read and retried.
func TestConflictIsRetried(t *testing.T) {
	api, e := racedTo(t, 3)
	res, err := e.ScaleUp(context.Background(), 2)
	require.NoError(t, err)
	require.Equal(t, autoscale.Result{Changed: 2, Before: 3, After: 5}, res)
	require.Equal(t, int32(2), api.gets.Load())
	require.Equal(t, int32(2), api.updates.Load())
	r, _, _ := api.workload()
	require.Equal(t, int32(5), r)
}

// TestConcurrentReplicaChangeIsNotRebased: another writer (kubectl scale,
// a second autoscaler, an operator applying its manifest) changed
// spec.replicas from 3 to 10 between our read and our write. The change was
// decided on 3 nodes; adding it to 10 would go past the scaler's maximum
// (5 here) and fight the other writer, the controllers fighting over
// spec.replicas of nginx/nginx-gateway-fabric#4214 and knative/operator#1201.
// The HPA does not re-apply a decision after a conflict either: it decides
// again at its next sync. The executor reports the change and does nothing.
func TestConcurrentReplicaChangeIsNotRebased(t *testing.T) {
	api, e := racedTo(t, 10)
	d, err := evaluate(e, func(c *autoscale.Config) { c.MaxNodes = 5 })
	require.ErrorIs(t, err, ErrReplicasChanged)
	require.ErrorContains(t, err, "from 3 to 10")
	require.True(t, autoscale.Blocked(d, autoscale.BlockExecutor))
	r, _, _ := api.workload()
	require.Equal(t, int32(10), r, "the other writer's count stands; not 12")
	require.Equal(t, int32(10), d.Event.After)
}

// TestResultIsWhatTheAPIServerStored: the API server may store another
// replica count than the one asked for (a mutating admission webhook
// capping it); Result.After, Changed and the StatefulSet's pod names come
// from the Scale it answered, not from the request, and the scaler reports
// the shortfall.
func TestResultIsWhatTheAPIServerStored(t *testing.T) {
	api := newAPIServer(t, StatefulSet, 3)
	api.admit = func(r int32) int32 { return min(r, 4) }
	e, err := New(Config{Client: api, Namespace: ns, Name: name, Kind: StatefulSet, Logger: quiet()})
	require.NoError(t, err)
	res, err := e.ScaleUp(context.Background(), 3)
	require.NoError(t, err)
	require.Equal(t, autoscale.Result{Changed: 1, Nodes: []string{"dwnode-3"}, Before: 3, After: 4}, res)

	d := evaluateHot(t, e)
	require.Equal(t, int32(2), d.Event.Requested, "50 %% of 4 nodes")
	require.Equal(t, int32(4), d.Event.After, "the webhook kept it at 4")
	require.True(t, autoscale.Blocked(d, autoscale.BlockExecutor), "the shortfall is reported: %+v", d.Blocked)
}

func TestPersistentConflictFails(t *testing.T) {
	api := newAPIServer(t, StatefulSet, 3)
	api.beforeUpdate = func(int32) { require.NoError(t, api.setReplicas(3)) } // status keeps moving
	e, err := New(Config{Client: api, Namespace: ns, Name: name, Kind: StatefulSet, Logger: quiet(),
		Backoff: &wait.Backoff{Steps: 3, Duration: time.Millisecond}})
	require.NoError(t, err)
	_, err = e.ScaleUp(context.Background(), 1)
	require.True(t, apierrors.IsConflict(errors.Unwrap(err)), "%v", err)
	require.ErrorContains(t, err, "after 3 attempt(s)")
}

func TestErrors(t *testing.T) {
	_, err := New(Config{Name: name, Kind: Deployment})
	require.ErrorIs(t, err, ErrConfig)
	_, err = New(Config{Client: fake.NewClientset(), Kind: Deployment})
	require.ErrorContains(t, err, "no workload name")
	_, err = New(Config{Client: fake.NewClientset(), Name: name, Kind: "ReplicaSet"})
	require.ErrorContains(t, err, `kind "ReplicaSet"`)

	api := newAPIServer(t, Deployment, 1)
	e, err := New(Config{Client: api, Namespace: "elsewhere", Name: name, Kind: Deployment, Logger: quiet()})
	require.NoError(t, err)
	_, err = e.Nodes(context.Background())
	require.True(t, apierrors.IsNotFound(errors.Unwrap(err)), "%v", err)
	_, err = e.ScaleUp(context.Background(), 0)
	require.ErrorIs(t, err, autoscale.ErrInvalidRequest)
	_, err = e.ScaleDown(context.Background(), -1)
	require.ErrorIs(t, err, autoscale.ErrInvalidRequest)
}

// evaluate runs one evaluation of the production scaler (default policy,
// changed by mutate if not nil) over e with the CPU above its scale-up
// threshold.
func evaluate(e *Executor, mutate func(*autoscale.Config)) (autoscale.Decision, error) {
	cfg := autoscale.DefaultConfig()
	cfg.Logger = quiet()
	if mutate != nil {
		mutate(&cfg)
	}
	metrics := autoscale.NewStaticMetrics(map[string]float64{autoscale.MetricCPU: 90, autoscale.MetricMemory: 50, autoscale.MetricQueueDepth: 0})
	s, err := autoscale.New(cfg, metrics, e)
	if err != nil {
		return autoscale.Decision{}, err
	}
	return s.Evaluate(context.Background())
}

// evaluateHot is evaluate with the default policy, which must succeed.
func evaluateHot(t *testing.T, e *Executor) autoscale.Decision {
	t.Helper()
	d, err := evaluate(e, nil)
	require.NoError(t, err)
	return d
}

// TestDrivesTheScaler wires the production scaler to the executor.
func TestDrivesTheScaler(t *testing.T) {
	api := newAPIServer(t, StatefulSet, 4)
	e, err := New(Config{Client: api, Namespace: ns, Name: name, Kind: StatefulSet, Logger: quiet()})
	require.NoError(t, err)
	d := evaluateHot(t, e)
	require.Equal(t, []string{"dwnode-4", "dwnode-5"}, d.Event.Nodes)
	r, _, _ := api.workload()
	require.Equal(t, int32(6), r)
}
