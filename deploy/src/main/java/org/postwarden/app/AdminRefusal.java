package org.postwarden.app;

/** An admin request refused: the HTTP status and the message the caller gets. */
final class AdminRefusal extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    AdminRefusal(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }
}
