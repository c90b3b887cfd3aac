#ifndef VOLSTAT_CLIBXML2_SHIM_H
#define VOLSTAT_CLIBXML2_SHIM_H
/* Debian's libxml2 is built with ICU, so <libxml/encoding.h> would include the system's
   <unicode/ucnv.h>. Foundation carries its own ICU (_FoundationICU) whose UErrorCode differs, and a
   Swift file that imports both modules then fails to compile. volstat never touches libxml2's
   encoding handlers (it only holds pointers to them), so the ICU part of those headers is left out. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>

/* xmlFree is a C global function pointer, which Swift 6 refuses to reference: call it through here. */
static inline void volstat_xmlFree(void *pointer) {
    xmlFree(pointer);
}

/* An external entity loader that refuses every external resource (files, network). */
static xmlParserInputPtr volstat_refuse_external_entity(const char *url, const char *id,
                                                         xmlParserCtxtPtr context) {
    (void)url; (void)id; (void)context;
    return NULL;
}

static inline void volstat_xmlRefuseExternalEntities(void) {
    xmlSetExternalEntityLoader(volstat_refuse_external_entity);
}
/* libxml2 prints some errors (encoding conversion, I/O) through its generic error function,
   which writes to standard error; volstat reports every error itself, in one line, through the
   reader's structured handler. The generic function is variadic, which Swift cannot define. */
static void volstat_ignore_generic_error(void *context, const char *message, ...) {
    (void)context; (void)message;
}

static inline void volstat_xmlSilenceGenericErrors(void) {
    xmlSetGenericErrorFunc(NULL, volstat_ignore_generic_error);
}
#endif
