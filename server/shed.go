package server

import (
	"context"

	"google.golang.org/grpc/tap"
)

// searchMethods are the RPCs that take a search slot (admit(s.searches)).
var searchMethods = map[string]bool{
	"/whorl.v1.SearchService/Identify":     true,
	"/whorl.v1.LatentService/SearchLatent": true,
}

// shed is the transport's tap: it refuses a search with ResourceExhausted
// when every search slot is taken and the queue for them is full
// (admitSearch), as soon as the request's headers
// arrive, before its body (up to MaxMessageBytes of images) is read,
// decrypted and decoded and before a goroutine is started for it. On a
// machine whose cores the admitted searches keep busy, that is the
// difference between a refusal in milliseconds and one queued behind
// them. The check races with searches ending, which only means a request
// arriving as a slot frees may be refused: the handler's own admission
// stays the authority.
//
// A request shed here was never authenticated and touched no data; it is
// counted (whorl_shed_total) and logged at debug level, not audited: the
// audit trail records accesses, and a synced record per refusal would
// itself be the bottleneck under the overload it sheds.
func (s *Server) shed(ctx context.Context, info *tap.Info) (context.Context, error) {
	if searchMethods[info.FullMethodName] && len(s.searches) == cap(s.searches) && s.waiting.Load() >= s.searchQueue {
		s.shedCount.Add(1)
		return nil, s.busy("%d searches already running: retry later", cap(s.searches))
	}
	return ctx, nil
}
