package k8s

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/dwsdk/distributed/runtime/autoscale"
)

// restServer answers the scale subresource of one workload over real HTTP
// on loopback, so the executor runs through client-go's real REST client:
// request paths, its default content negotiation (protobuf bodies), and
// 409 answers decoded into a Conflict status error.
type restServer struct {
	path              string // .../namespaces/NS/RESOURCE/NAME/scale
	mu                sync.Mutex
	replicas, version int32
	// admit changes the replicas a PUT asks for before they are stored.
	admit func(int32) int32
	// conflicts is how many PUTs still get a 409 because the workload's
	// status moved on (a new resourceVersion, the same replicas).
	conflicts int
	// steal, if not 0, is the replica count another writer sets just
	// before the next PUT lands (which then gets a 409).
	steal int32
	puts  int
}

func newRESTServer(t *testing.T, resource string, replicas int32) (*restServer, kubernetes.Interface) {
	s := &restServer{path: "/apis/apps/v1/namespaces/" + ns + "/" + resource + "/" + name + "/scale", replicas: replicas, version: 1}
	srv := httptest.NewServer(s)
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	require.NoError(t, err)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return s, client
}

func (s *restServer) scale() *autoscalingv1.Scale {
	return &autoscalingv1.Scale{TypeMeta: metav1.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: strconv.Itoa(int(s.version))},
		Spec:       autoscalingv1.ScaleSpec{Replicas: s.replicas}}
}

func (s *restServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path != s.path {
		s.fail(w, r, apierrors.NewNotFound(autoscalingv1.Resource("scale"), r.URL.Path))
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.reply(w, r, http.StatusOK, s.scale())
	case http.MethodPut:
		s.puts++
		var in autoscalingv1.Scale
		if err := decode(r, &in); err != nil {
			s.fail(w, r, apierrors.NewBadRequest(err.Error()))
			return
		}
		if s.conflicts > 0 { // a status update got there first
			s.conflicts--
			s.version++
		}
		if s.steal != 0 { // another writer got there first
			s.replicas, s.version, s.steal = s.steal, s.version+1, 0
		}
		if in.ResourceVersion != strconv.Itoa(int(s.version)) {
			s.fail(w, r, apierrors.NewConflict(autoscalingv1.Resource("scale"), name, errors.New("the object has been modified")))
			return
		}
		s.replicas, s.version = in.Spec.Replicas, s.version+1
		if s.admit != nil {
			s.replicas = s.admit(s.replicas)
		}
		s.reply(w, r, http.StatusOK, s.scale())
	default:
		s.fail(w, r, apierrors.NewMethodNotSupported(autoscalingv1.Resource("scale"), r.Method))
	}
}

// serializer is the one of client-go's scheme for mediaType.
func serializer(mediaType string) (runtime.SerializerInfo, bool) {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return runtime.SerializerInfo{}, false
	}
	return runtime.SerializerInfoForMediaType(scheme.Codecs.SupportedMediaTypes(), mt)
}

// decode reads a request body in its Content-Type.
func decode(r *http.Request, into runtime.Object) error {
	info, ok := serializer(r.Header.Get("Content-Type"))
	if !ok {
		return errors.New("unsupported content type " + r.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	_, _, err = info.Serializer.Decode(body, nil, into)
	return err
}

// reply answers with v in the first media type of Accept the scheme
// knows (JSON by default).
func (s *restServer) reply(w http.ResponseWriter, r *http.Request, code int, v runtime.Object) {
	info, _ := serializer("application/json")
	for _, mt := range strings.Split(r.Header.Get("Accept"), ",") {
		if i, ok := serializer(strings.TrimSpace(mt)); ok {
			info = i
			break
		}
	}
	w.Header().Set("Content-Type", info.MediaType)
	w.WriteHeader(code)
	_ = info.Serializer.Encode(v, w)
}

func (s *restServer) fail(w http.ResponseWriter, r *http.Request, err *apierrors.StatusError) {
	st := err.Status()
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	s.reply(w, r, int(st.Code), &st)
}

// TestRealClient drives the executor through client-go's REST client
// against an HTTP server on loopback: scaling both kinds, a conflict
// re-read and retried, a count the server changed on admission, a count
// another writer changed (not rebased), and a missing workload.
func TestRealClient(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []Kind{Deployment, StatefulSet} {
		t.Run(string(kind), func(t *testing.T) {
			resource := map[Kind]string{Deployment: "deployments", StatefulSet: "statefulsets"}[kind]
			srv, client := newRESTServer(t, resource, 3)
			e := threeToFive(t, client, kind)

			srv.mu.Lock()
			srv.conflicts = 1 // the status moves before our PUT lands
			srv.mu.Unlock()
			res, err := e.ScaleDown(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, autoscale.Result{Changed: 1, Before: 5, After: 4, Nodes: res.Nodes}, res, "re-read after the 409")

			srv.mu.Lock()
			srv.admit = func(r int32) int32 { return min(r, 6) }
			srv.mu.Unlock()
			res, err = e.ScaleUp(ctx, 4)
			require.NoError(t, err)
			require.Equal(t, 4, res.Before)
			require.Equal(t, 6, res.After, "what the server stored, not the 8 asked for")
			require.Equal(t, 2, res.Changed)
			if kind == StatefulSet {
				require.Equal(t, []string{"dwnode-4", "dwnode-5"}, res.Nodes)
			}

			srv.mu.Lock()
			srv.admit, srv.steal = nil, 10 // kubectl scale --replicas=10 races our PUT
			srv.mu.Unlock()
			res, err = e.ScaleUp(ctx, 1)
			require.ErrorIs(t, err, ErrReplicasChanged)
			require.Equal(t, autoscale.Result{Before: 10, After: 10}, res)
			srv.mu.Lock()
			require.Equal(t, int32(10), srv.replicas)
			require.Equal(t, 5, srv.puts)
			srv.mu.Unlock()

			other, err := New(Config{Client: client, Namespace: "elsewhere", Name: name, Kind: kind, Logger: quiet()})
			require.NoError(t, err)
			_, err = other.ScaleUp(ctx, 1)
			require.True(t, apierrors.IsNotFound(errors.Unwrap(err)), "%v", err)
		})
	}
}
