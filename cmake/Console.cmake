# The web console (contract section 9): console/ (Vite + Preact + TypeScript) built into the
# executable.
#
#   npm ci      when console/package-lock.json changed or node_modules is missing (tracked by a
#               hash in node_modules, so the Release, ASan and TSan build directories share one
#               install)
#   tsc         --noEmit: a type error fails the build
#   vite build  into <build>/console-dist
#   ConsoleAssets.cmake writes <build>/console_assets.cc: every built file with its content
#               type, bytes, gzip bytes (when smaller), strong ETag and whether it is immutable
#
# The library tessera_console_assets holds that one generated file: a console change recompiles
# it and relinks, nothing else. src/console/static_assets.h declares what it defines.
find_program(TESSERA_NODE node)
find_program(TESSERA_NPM npm)
find_program(TESSERA_GZIP gzip)
if(NOT TESSERA_NODE OR NOT TESSERA_NPM)
  message(FATAL_ERROR "the web console (console/) is built with Node.js and npm, which were not "
                      "found: run scripts/setup (make setup) to install them")
endif()
if(NOT TESSERA_GZIP)
  message(FATAL_ERROR "gzip not found: run scripts/setup (make setup)")
endif()

set(TESSERA_CONSOLE_DIR ${PROJECT_SOURCE_DIR}/console)
set(TESSERA_CONSOLE_DIST ${CMAKE_BINARY_DIR}/console-dist)
set(TESSERA_CONSOLE_NODE_MODULES ${TESSERA_CONSOLE_DIR}/node_modules)
# Written by ConsoleNpmCi.cmake after an install: a deleted node_modules is installed again.
set(_console_npm_stamp ${TESSERA_CONSOLE_NODE_MODULES}/.tessera-lock.sha256)
set(_console_dist_stamp ${CMAKE_BINARY_DIR}/console-dist.stamp)
set(_console_assets_cc ${CMAKE_BINARY_DIR}/console_assets.cc)

add_custom_command(
  OUTPUT ${_console_npm_stamp}
  COMMAND ${CMAKE_COMMAND} -DNPM=${TESSERA_NPM} -DCONSOLE_DIR=${TESSERA_CONSOLE_DIR}
          -P ${PROJECT_SOURCE_DIR}/cmake/ConsoleNpmCi.cmake
  DEPENDS ${TESSERA_CONSOLE_DIR}/package-lock.json ${TESSERA_CONSOLE_DIR}/package.json
          ${PROJECT_SOURCE_DIR}/cmake/ConsoleNpmCi.cmake
  COMMENT "console: npm ci (when package-lock.json changed)"
  VERBATIM)

file(GLOB_RECURSE _console_sources CONFIGURE_DEPENDS ${TESSERA_CONSOLE_DIR}/src/*)
add_custom_command(
  OUTPUT ${_console_dist_stamp}
  COMMAND ${TESSERA_NODE} node_modules/typescript/bin/tsc --noEmit -p tsconfig.json
  COMMAND ${TESSERA_NODE} node_modules/vite/bin/vite.js build --logLevel warn
          --outDir ${TESSERA_CONSOLE_DIST} --emptyOutDir
  COMMAND ${CMAKE_COMMAND} -E touch ${_console_dist_stamp}
  DEPENDS ${_console_npm_stamp} ${_console_sources} ${TESSERA_CONSOLE_DIR}/index.html
          ${TESSERA_CONSOLE_DIR}/tsconfig.json ${TESSERA_CONSOLE_DIR}/vite.config.ts
  WORKING_DIRECTORY ${TESSERA_CONSOLE_DIR}
  COMMENT "console: tsc --noEmit and vite build"
  VERBATIM)

add_custom_command(
  OUTPUT ${_console_assets_cc}
  COMMAND ${CMAKE_COMMAND} -DDIST=${TESSERA_CONSOLE_DIST} -DOUT=${_console_assets_cc}
          -DGZIP=${TESSERA_GZIP} -P ${PROJECT_SOURCE_DIR}/cmake/ConsoleAssets.cmake
  DEPENDS ${_console_dist_stamp} ${PROJECT_SOURCE_DIR}/cmake/ConsoleAssets.cmake
  COMMENT "console: embedding the built files"
  VERBATIM)

add_library(tessera_console_assets STATIC ${_console_assets_cc})
target_include_directories(tessera_console_assets PRIVATE ${PROJECT_SOURCE_DIR}/src)
