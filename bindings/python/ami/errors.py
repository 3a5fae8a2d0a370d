"""Exceptions: ami.Error carries the library's AMI_E... code and message."""

CODES = {
    -1: "AMI_ERROR", -2: "AMI_ENOMEM", -3: "AMI_EINVAL", -4: "AMI_ENOTFOUND", -5: "AMI_ECONFLICT",
    -6: "AMI_EKEYTOOLARGE", -7: "AMI_EVALUETOOLARGE", -8: "AMI_EIO", -9: "AMI_EBUSY", -10: "AMI_ETIMEOUT",
    -11: "AMI_EUNSUPPORTED", -12: "AMI_EVALIDATION", -13: "AMI_ESCRIPT", -14: "AMI_ELIMIT",
    -15: "AMI_ESTOPPED", -16: "AMI_ELEASE", -17: "AMI_EAUTH", -18: "AMI_EDENIED", -19: "AMI_EAMBIGUOUS",
}


class Error(Exception):
    """A libami failure.  .code is the negative AMI_E... number, .name its name ("AMI_ENOTFOUND"),
    .message the library's message (which key, field or file was wrong)."""

    def __init__(self, code, message):
        self.code = code
        self.name = CODES.get(code, "AMI_E%d" % -code)
        self.message = message or ""
        super().__init__("%s: %s" % (self.name, self.message) if self.message else self.name)


class Invalid(Error):
    """AMI_EINVAL: a malformed argument (bad key, bad URI, wrong JSON type)."""


class ValidationError(Invalid):
    """AMI_EVALIDATION: well-formed but unacceptable input (the message is user-facing)."""


class NotFound(Error, LookupError):
    """AMI_ENOTFOUND."""


class Conflict(Error):
    """AMI_ECONFLICT: a stale versionstamp; nothing was written."""


class Timeout(Error, TimeoutError):
    """AMI_ETIMEOUT."""


class ScriptError(Error):
    """AMI_ESCRIPT (and AMI_ELIMIT for runs): a script did not compile or threw.  For runs,
    .error_name ("TypeError"), .error_message, .line and .stack are set."""

    error_name = None
    error_message = None
    line = 0
    stack = None


class LimitError(ScriptError):
    """AMI_ELIMIT: heap, time slice, recursion or log-size limit."""


class Stopped(Error):
    """AMI_ESTOPPED."""


class AuthError(Error):
    """AMI_EAUTH: login failed, session missing or expired (HTTP 401)."""


class Denied(Error):
    """AMI_EDENIED: authenticated but not an owner (HTTP 403)."""


class Ambiguous(Error):
    """AMI_EAMBIGUOUS: a sid prefix matched several workers."""


_BY_CODE = {-3: Invalid, -4: NotFound, -5: Conflict, -6: Invalid, -7: Invalid, -10: Timeout,
            -12: ValidationError, -13: ScriptError, -14: LimitError, -15: Stopped, -17: AuthError,
            -18: Denied, -19: Ambiguous}


def error_for(code, message):
    return _BY_CODE.get(code, Error)(code, message)
