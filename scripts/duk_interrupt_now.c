
/* ---- libami (scripts/duk_interrupt_now.c, appended to Duktape's source at build time) ----
 * Make the running thread take an interrupt at its next bytecode
 * instruction, as Duktape itself does for a debugger (interrupt_init keeps
 * the instruction count right).  Called by libami's allocator on the
 * instance's own thread once a stop or slice limit is due: the exec-timeout
 * hook then ends the run at once, instead of up to 256k instructions later
 * (allocations refused until then cost Duktape ten collections each). */
void ami__duk_interrupt_now(duk_context *ctx);
void ami__duk_interrupt_now(duk_context *ctx)
{
	duk_hthread *thr = (duk_hthread *) ctx;
	duk_hthread *cur;
	if (thr == NULL || thr->heap == NULL) return;
	cur = thr->heap->curr_thread;
	if (cur == NULL || cur->interrupt_counter <= 0) return;
	cur->interrupt_init -= cur->interrupt_counter;
	cur->interrupt_counter = 0;
}
