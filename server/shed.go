package server

import (
	"context"

	"google.golang.org/grpc/tap"
)

// searchMethods are the RPCs that take a search slot (admitSearch).
var searchMethods = map[string]bool{
	"/whorl.v1.SearchService/Identify":     true,
	"/whorl.v1.LatentService/SearchLatent": true,
}

// shed is the transport's tap: it refuses a search with ResourceExhausted
// when admitSearch would (every slot taken, or another connection ahead in
// line), with the same place in line and RetryInfo, as soon as the
// request's headers arrive, before its body (up to MaxMessageBytes of images) is read,
// decrypted and decoded and before a goroutine is started for it. On a
// machine whose cores the admitted searches keep busy, that is the
// difference between a refusal in milliseconds and one queued behind
// them. The check races with searches ending, which only means a request
// arriving as a slot frees may be refused: the handler's own admission
// stays the authority.
//
// A request shed here was never authenticated and touched no data (its
// place in line is keyed by its connection's address alone); it is
// counted (whorl_shed_total) and logged at debug level, not audited: the
// audit trail records accesses, and a synced record per refusal would
// itself be the bottleneck under the overload it sheds.
func (s *Server) shed(ctx context.Context, info *tap.Info) (context.Context, error) {
	if !searchMethods[info.FullMethodName] {
		return ctx, nil
	}
	if conn, placed := s.connOf(ctx); !s.mayStart(conn) {
		s.shedCount.Add(1)
		s.line.mu.Lock()
		defer s.line.mu.Unlock()
		return nil, s.refuseSearch(conn, placed, s.now())
	}
	return ctx, nil
}
