package raft

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestElectionAndReplication(t *testing.T) {
	c := newCluster(t, 3, 1, patientElections)
	l := c.leader(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last Result
	for i := range 50 {
		r, err := l.Propose(ctx, putCmd(fmt.Sprintf("k%d", i%5), fmt.Sprint(i)))
		require.NoError(t, err)
		require.Greater(t, r.Index, last.Index)
		last = r
	}
	r, err := l.Propose(ctx, getCmd("k4"))
	require.NoError(t, err)
	require.Equal(t, "49", r.Response)
	c.waitApplied(5*time.Second, r.Index)
	for _, id := range c.ids {
		require.Equal(t, "49", c.fsms[id].get("k4"), id)
	}
	c.checkStateMachineSafety()
	c.checkLogMatching()
	st := l.Status()
	require.Equal(t, Leader, st.Role)
	require.Len(t, st.Peers, 2)
	for _, p := range st.Peers {
		require.Equal(t, r.Index, p.Match)
	}
}

func TestProposeAsyncPipelined(t *testing.T) {
	c := newCluster(t, 3, 2, patientElections)
	l := c.leader(5 * time.Second)
	t.Cleanup(func() {
		if t.Failed() {
			d, dr := c.net.Stats()
			t.Logf("net delivered %d dropped %d", d, dr)
			for _, n := range c.running() {
				t.Logf("%s %v term %d commit %d applied %d last %d %+v", n.ID(), n.Role(), n.Term(), n.CommitIndex(), n.AppliedIndex(), n.log.lastIndex(), n.Metrics())
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	futs := make([]*Future, 0, 3000)
	for i := range 3000 {
		f, err := l.ProposeAsync(ctx, putCmd("k", fmt.Sprint(i)))
		require.NoError(t, err)
		require.NotZero(t, f.Index)
		futs = append(futs, f)
	}
	for i, f := range futs {
		r, err := f.Wait(ctx)
		require.NoError(t, err)
		if i > 0 {
			require.Equal(t, futs[i-1].Index+1, r.Index)
			require.Equal(t, fmt.Sprint(i-1), r.Response)
		}
	}
	c.waitApplied(5*time.Second, futs[len(futs)-1].Index)
	c.checkStateMachineSafety()
}

func TestFollowerRejectsProposal(t *testing.T) {
	c := newCluster(t, 3, 3, nil)
	l := c.leader(5 * time.Second)
	for _, n := range c.running() {
		if n != l {
			_, err := n.Propose(context.Background(), putCmd("a", "b"))
			require.ErrorIs(t, err, ErrNotLeader)
		}
	}
}
