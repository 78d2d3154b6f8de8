package web

import (
	"github.com/gin-gonic/gin"

	"partnerhub/jobs"
)

// LocalAuth is the authenticator of a deployment without login: everyone is
// the one local user. It is only wired when the server listens on loopback
// (see cmd/partnerhub), so nobody else can reach it. With an owner-only
// OAuth consumer (MediaWiki hands its owner the access token directly) the
// local user is that wiki account and may write; otherwise writing is off.
type LocalAuth struct {
	User      *jobs.User
	OwnerOnly bool
}

// CurrentUser returns the local user.
func (a LocalAuth) CurrentUser(*gin.Context) (*jobs.User, error) { return a.User, nil }

// LocalMode is always true.
func (a LocalAuth) LocalMode() bool { return true }
