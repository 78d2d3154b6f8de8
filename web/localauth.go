package web

import (
	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
)

// LocalAuth is the authenticator of an embedded deployment without OAuth:
// everyone is the one local user. It is only wired when the server listens
// on loopback (see cmd/partnerhub), so nobody else can reach it.
type LocalAuth struct{ User *jobs.User }

// CurrentUser returns the local user.
func (a LocalAuth) CurrentUser(*gin.Context) (*jobs.User, error) { return a.User, nil }

// LocalMode is always true.
func (a LocalAuth) LocalMode() bool { return true }
