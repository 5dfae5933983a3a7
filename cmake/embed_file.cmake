# Writes OUT, a C++ file whose function NAME() returns the bytes of IN: static assets
# (the dashboard page) are compiled into the binary, so the node serves them with no
# other file and no CDN.
file(READ ${IN} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
get_filename_component(in_name ${IN} NAME)
file(WRITE ${OUT} "// Generated from ${in_name} by cmake/embed_file.cmake: do not edit.\n"
                  "#include <string_view>\n"
                  "namespace trader::node {\n"
                  "namespace { const unsigned char kBytes[] = {${bytes}}; }\n"
                  "std::string_view ${NAME}() { return {reinterpret_cast<const char*>(kBytes), sizeof kBytes}; }\n"
                  "}  // namespace trader::node\n")
