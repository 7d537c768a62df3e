package main

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dwsdk/distributed/gen/replicawire"
	"github.com/dwsdk/distributed/runtime/crdt/replica"
	"github.com/dwsdk/distributed/runtime/swim"
)

// TestTrackDeadGivesUpAfterPruneDelay: a member is handed to the engine's
// RemoveDeadPeer only once SWIM has reported it dead (or it dropped out of
// SWIM's list) for the prune delay; a member that comes back alive before
// that (a refuted suspicion, a healed partition) restarts the clock.
func TestTrackDeadGivesUpAfterPruneDelay(t *testing.T) {
	net := replica.NewMemNetwork(1, replica.Faults{})
	net.Transport("n2")
	net.Transport("n3")
	eng, err := replica.New(replica.Config{ID: "n1", Replica: "n1@1", Epoch: 1,
		State: replica.NewKeyed(nil), Transport: net.Transport("n1"), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	n := &Node{engine: eng, log: slog.New(slog.DiscardHandler), pruneAfter: 10 * time.Second}
	for _, p := range []string{"n2", "n3"} {
		eng.AddPeer(p)
		// the engine learns each peer's replica id from its first envelope
		require.NoError(t, eng.Handle(&replicawire.Envelope{From: p, Epoch: 1, Replica: p + "@1", To: "n1", ToEpoch: 1}))
	}
	member := func(name string, s swim.State) memberInfo {
		return memberInfo{Member: swim.Member{Name: name, State: s}}
	}
	dead := map[string]*deadMember{}
	t0 := time.Unix(1000, 0)

	n.trackDead(dead, []memberInfo{member("n2", swim.StateDead), member("n3", swim.StateDead)}, eng.Peers(), t0)
	n.trackDead(dead, []memberInfo{member("n2", swim.StateAlive), member("n3", swim.StateDead)}, eng.Peers(), t0.Add(5*time.Second))
	n.trackDead(dead, []memberInfo{member("n2", swim.StateDead)}, eng.Peers(), t0.Add(9*time.Second)) // n3 reaped
	require.Empty(t, eng.Departed(), "gave up before the prune delay")

	n.trackDead(dead, []memberInfo{member("n2", swim.StateDead)}, eng.Peers(), t0.Add(10*time.Second))
	require.Equal(t, []string{"n3@1"}, eng.Departed(), "n3, dead for the delay, must be given up on; n2 came back in between")
	n.trackDead(dead, []memberInfo{member("n2", swim.StateDead)}, eng.Peers(), t0.Add(18*time.Second))
	require.Equal(t, []string{"n3@1"}, eng.Departed())
	n.trackDead(dead, nil, eng.Peers(), t0.Add(19*time.Second)) // n2 reaped, dead since 9 s
	require.Equal(t, []string{"n2@1", "n3@1"}, eng.Departed())
	require.NotContains(t, dead, "n3", "a member given up on and reaped is forgotten")
}
