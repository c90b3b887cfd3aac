#ifndef VOLSTAT_CLIBXML2_SHIM_H
#define VOLSTAT_CLIBXML2_SHIM_H
#include <libxml/xmlreader.h>
#include <libxml/parserInternals.h>
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
#endif
