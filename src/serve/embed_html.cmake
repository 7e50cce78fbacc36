# Writes OUT, a C++ file defining r1::kDashboardHtml as the text of IN.
file(READ ${IN} CONTENT)
file(WRITE ${OUT} "// Generated from ${IN} by embed_html.cmake.\nnamespace r1 {\nextern const char* const kDashboardHtml;\nconst char* const kDashboardHtml = R\"r1html(${CONTENT})r1html\";\n}  // namespace r1\n")
