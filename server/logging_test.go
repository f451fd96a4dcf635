package server

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestActorNamesThePersonAndTheStation(t *testing.T) {
	with := func(id Identity, ok bool) context.Context {
		return context.WithValue(context.Background(), identitySlotKey{}, &identitySlot{id: id, ok: ok})
	}
	for _, c := range []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"person token", with(Identity{Station: "station-12", Person: "j.doe", Role: RoleExaminer}, true), "j.doe at station-12"},
		{"certificate only", with(Identity{Station: "station-12", Role: RoleExaminer}, true), "station-12"},
		{"not established", with(Identity{}, false), ""},
		{"no audit interceptor", context.Background(), ""},
	} {
		assert.Equal(t, c.want, actor(c.ctx), c.name)
	}
}
