package jobs

import (
	"errors"
	"fmt"
)

// Error codes shared by every layer; web maps them to HTTP status in one place.
const (
	ENOTFOUND  = "not_found"
	EINVALID   = "invalid"
	ECONFLICT  = "conflict"
	EFORBIDDEN = "forbidden"
	ETOOLARGE  = "too_large"
	EINTERNAL  = "internal"
)

// Error is a domain error: Code is for programs, Message is a sentence for users.
type Error struct {
	Code    string
	Message string
	Err     error // optional cause, for logs
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a domain error with a user-facing message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first domain error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns what a user may be shown about err: the domain message,
// or a generic sentence that leaks no internals.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side; the error has been logged."
}
