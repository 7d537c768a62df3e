package autoscale

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRecorder(t *testing.T) {
	ctx := context.Background()
	r := NewRecorder(2)
	res, err := r.ScaleUp(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, Result{Changed: 2, Nodes: []string{"node-2", "node-3"}, Before: 2, After: 4}, res)

	res, err = r.ScaleDown(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, Result{Changed: 1, Nodes: []string{"node-3"}, Before: 4, After: 3}, res)

	res, err = r.ScaleDown(ctx, 10)
	require.NoError(t, err)
	require.Equal(t, 3, res.Changed, "removes what exists, says so")
	require.Equal(t, 0, res.After)

	_, err = r.ScaleUp(ctx, 0)
	require.ErrorIs(t, err, ErrInvalidRequest)
	require.Len(t, r.Calls(), 3)
	require.Equal(t, "scale-down", r.Calls()[2].Action)
}
