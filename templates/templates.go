// Package templates holds Partnerhub's html/template files, embedded in the
// binary. layout.html is the one base layout; every page defines "title" and
// "content", and partials/ hold the small pieces pages share.
package templates

import "embed"

// FS holds every template file.
//
//go:embed *.html partials/*.html
var FS embed.FS
