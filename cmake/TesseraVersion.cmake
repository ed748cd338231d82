# tessera_build_info: BuildVersion() and BuildRevision() (src/common/build_info.h). The version
# is project(VERSION); the revision is read from git on every build (a new commit relinks only
# what uses it), "unknown" outside a checkout. -DTESSERA_REVISION=... fixes it (packagers).
set(TESSERA_REVISION "" CACHE STRING "Revision reported by tessera --version (empty: from git)")

set(TESSERA_BUILD_INFO_CC ${PROJECT_BINARY_DIR}/generated/build_info.cc)
add_custom_target(tessera_build_info_source
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DOUTPUT=${TESSERA_BUILD_INFO_CC}
          -DTEMPLATE=${CMAKE_CURRENT_LIST_DIR}/build_info.cc.in -DVERSION=${PROJECT_VERSION}
          -DREVISION=${TESSERA_REVISION} -P ${CMAKE_CURRENT_LIST_DIR}/WriteBuildInfo.cmake
  BYPRODUCTS ${TESSERA_BUILD_INFO_CC}
  COMMENT "Reading the git revision"
  VERBATIM)

add_library(tessera_build_info STATIC ${TESSERA_BUILD_INFO_CC})
add_dependencies(tessera_build_info tessera_build_info_source)
target_include_directories(tessera_build_info PRIVATE ${PROJECT_SOURCE_DIR}/src)
